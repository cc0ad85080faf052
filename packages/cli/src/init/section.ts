/** One plugin's part of the generated config. */
export interface Section {
  /** The default import's name, e.g. `pytest`. */
  name: string
  /** The package it comes from, e.g. `@mlci/plugin-pytest`. */
  pkg: string
  /** Active sections are imported and installed; inactive ones are written commented out. */
  active: boolean
  /** Source lines at the indentation of the plugins array's items (no leading indent). */
  lines: string[]
}
