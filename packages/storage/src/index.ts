/**
 * `@wxapp/storage`: where uploaded files are kept, behind one small interface
 * (`ObjectStore`) with two drivers: a local folder (the default) and any
 * S3-compatible object store, which every server instance can share.
 */
export { contentTypeOfKey, createLocalStore, type LocalStoreOptions } from './local'
export { createS3Store, type S3StoreOptions } from './s3'
export {
  checkKey,
  type ObjectStore,
  StorageError,
  type StorageOperation,
  StorageUnavailableError,
  type StoredObject,
} from './store'
