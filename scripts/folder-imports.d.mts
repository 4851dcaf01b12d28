/** folder → folder → the files of the first that import the second. */
export function folderImports(src?: string): Map<string, Map<string, Set<string>>>;
/** The cycles among the folders: strongly connected components of more than one folder, each sorted. */
export function folderCycles(edges: Map<string, Map<string, Set<string>>>): string[][];
