/** Where tests find the shared reference data: HRM_DATA_DIR, else ../shared/data from the repo root. */
export const referenceDataDir = (): string => process.env.HRM_DATA_DIR ?? '../shared/data';
