/**
 * The part of jsfive (a pure-JavaScript HDF5 reader; it ships no types)
 * that hdf5.ts uses. jsfive throws strings as well as Errors.
 */
declare module 'jsfive' {
  export class Group {
    readonly name: string;
    /** Names of the members. */
    readonly keys: string[];
    readonly attrs: Record<string, unknown>;
    /** A member by relative path: a Group, a Dataset, or null for a dangling soft link. */
    get(path: string): Group | Dataset | null;
  }
  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }
  export class Dataset {
    readonly name: string;
    readonly shape: number[];
    /** numpy-style type string ('<f4', '>f8', '<i8', …) or a compound / vlen description object. */
    readonly dtype: unknown;
    readonly attrs: Record<string, unknown>;
    /** The elements, row-major. */
    readonly value: ArrayLike<unknown>;
  }
}
