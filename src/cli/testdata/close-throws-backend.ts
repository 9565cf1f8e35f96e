// A backend module whose close() throws, on top of the dropped 0.5 of the half-dropped backend:
// the run must still print everything, write its reports, and exit 2 (the error outranks the failure).
import half from './half-dropped-backend.ts';

export default () => ({
  ...half(),
  name: 'close-throws',
  close: async () => {
    throw new Error('cannot release the GPU context');
  },
});
