// A backend module that fails while it loads, as one that cannot reach its device would.
export default () => {
  throw new Error('cannot connect to the GPU');
};
