/**
 * Writing literal values into Go templates. An ApplicationSet with
 * `goTemplate: true` runs every string of its template, and the whole
 * `templatePatch`, through Go's text/template, so a literal that happens to
 * contain `{{` must not be read as an action.
 */

/** A Go string constant: JSON's escapes are valid in Go's interpreted string literals. */
export function goString(value: string): string {
  return JSON.stringify(value);
}

/** A literal in a templated string field: verbatim, or as a Go constant action when it contains `{{`. */
export function templateLiteral(value: string): string {
  return value.includes('{{') ? `{{ ${goString(value)} }}` : value;
}

/**
 * A literal scalar in `templatePatch` YAML: JSON text (a valid YAML flow
 * scalar, so no value can break the YAML around it), printed by a Go constant
 * action when it contains `{{`.
 */
export function patchLiteral(value: string | boolean | number): string {
  const json = JSON.stringify(value);
  return json.includes('{{') ? `{{ ${goString(json)} }}` : json;
}
