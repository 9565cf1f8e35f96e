/** A module backend that fails while it is imported, as one that needs a missing GPU might. */
export {};
throw new Error('boom: cannot connect to the GPU');
