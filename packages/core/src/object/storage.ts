/** One object as listed or headed. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Last modification, ms since the epoch (0 when the backend does not say). */
  mtime: number;
  isDir: boolean;
}

export interface ListOptions {
  /** Only keys strictly after this one (in byte order). */
  startAfter?: string;
  /** Maximum keys to return in this call. */
  limit?: number;
  /** With a delimiter ("/"), list one level and report sub-prefixes as directories. */
  delimiter?: string;
}

export interface MultipartUpload {
  uploadId: string;
  minPartSize: number;
  maxCount: number;
}

export interface UploadedPart {
  num: number;
  etag: string;
}

/** How one object is written. */
export interface PutOptions {
  /**
   * The storage class for this object (S3's x-amz-storage-class), for a file in a JuiceFS 1.4
   * storage tier; stores that cannot set a class, and absent or '', give the store's default.
   */
  storageClass?: string;
  /**
   * Object tags for this object (S3's x-amz-tagging, `k=v&k2=v2`), of a file in a JuiceFS 1.4
   * storage tier with tags; stores without object tags ignore them.
   */
  tags?: string;
}

/** What asking to restore an archived object (S3 Glacier classes) found. */
export type RestoreState =
  /** The restore was started: a readable copy appears after the archive's retrieval time. */
  | 'started'
  /** A restore asked for earlier has not finished yet. */
  | 'in-progress'
  /** A restored copy is there already. */
  | 'restored'
  /** The object is not archived: it can be read as it is. */
  | 'not-archived';

/**
 * An object store, as JuiceFS uses one: flat keys, whole-object puts, ranged gets. Errors:
 * a missing key fails with code ENOENT; permanent failures (no bucket, access denied) with
 * EACCES/ENOENT and a message naming the bucket; transient ones are retried by the caller.
 */
export interface ObjectStorage {
  /** A description such as "file:///var/jfs/" or "s3://bucket/". */
  readonly description: string;
  /** Create the bucket/directory if it does not exist. */
  create(): Promise<void>;
  /** Read [offset, offset+limit) of an object; limit -1 or absent reads to the end. */
  get(key: string, offset?: number, limit?: number): Promise<Buffer>;
  put(key: string, data: Buffer, options?: PutOptions): Promise<void>;
  /** Delete an object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  head(key: string): Promise<ObjectInfo>;
  /** Keys with `prefix`, in byte order. */
  list(prefix: string, options?: ListOptions): Promise<ObjectInfo[]>;
  createMultipartUpload?(key: string): Promise<MultipartUpload>;
  uploadPart?(key: string, uploadId: string, num: number, data: Buffer): Promise<UploadedPart>;
  abortUpload?(key: string, uploadId: string): Promise<void>;
  completeUpload?(key: string, uploadId: string, parts: UploadedPart[]): Promise<void>;
  /**
   * The file on this machine that holds `key`'s bytes exactly as they were put, for a store that
   * is a local directory (JuiceFS's `file` storage); absent, or undefined, when there is no such
   * file (a remote store, or one that transforms the bytes, such as encryption). The file belongs
   * to the store: read or hard-link it, never write it. The disk cache links small written blocks
   * from here instead of writing a second copy.
   */
  localFile?(key: string): string | undefined;
  /**
   * Ask for a readable copy of an archived object (`juicefs tier restore`); absent for stores
   * without archive classes.
   */
  restore?(key: string): Promise<RestoreState>;
}
