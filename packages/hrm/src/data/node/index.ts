// Node-only data API: dataset folders on disk and loaders for dataset folders or raw sources.
export * from './datasetFiles.js';
export * from './sources.js';
