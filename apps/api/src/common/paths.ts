/** AEP's Platform API paths outside the Segmentation base path (fixed, as AEP has them). */
export const CATALOG_PATH = '/data/foundation/catalog';
export const IMPORT_PATH = '/data/foundation/import';
export const DATA_ACCESS_PATH = '/data/foundation/export';
