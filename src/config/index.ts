export { DEFAULT_CONFIG_FILE, galleryConfigPath, loadGalleryConfig, parseGalleryConfig } from './loadGalleryConfig.ts';
export type { CorpusRef, ExhibitConfig, GalleryConfig, ModelRef } from './types.ts';
