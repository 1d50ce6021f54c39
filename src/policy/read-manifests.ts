import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';

/** The objects of a set of manifest files, with the file each came from, and the files that could not be read. */
export interface ReadManifests {
  readonly objects: any[];
  readonly manifestOf: Map<any, string>;
  readonly unreadable: { manifestPath: string; reason: string }[];
}

/** Every Kubernetes object of every file, to be checked together: rules read across objects (a PDB and its StatefulSet). */
export function readManifestFiles(files: string[]): ReadManifests {
  const objects: any[] = [];
  const manifestOf = new Map<any, string>();
  const unreadable: { manifestPath: string; reason: string }[] = [];
  for (const manifestPath of files) {
    try {
      fs.accessSync(manifestPath, fs.constants.R_OK);
    } catch (e) {
      unreadable.push({ manifestPath, reason: String((e as Error)?.message ?? e) });
      continue;
    }
    // cdk8s' own loader (the peer dependency; `yaml` is not a dependency of this library): multi-document, YAML 1.1
    // as cdk8s writes it, empty documents skipped. It reads the file in a child process: checked readable above.
    for (const doc of Yaml.load(manifestPath)) {
      // Documents that are no Kubernetes object (no kind: a values file, a report) are left out.
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || typeof doc.kind !== 'string') continue;
      objects.push(doc);
      manifestOf.set(doc, manifestPath);
    }
  }
  return { objects, manifestOf, unreadable };
}

const MANIFEST_FILE = /\.ya?ml$/;

/** The YAML files of a file or folder (subfolders included, hidden entries left out), in path order. */
export function yamlFilesOf(fileOrDir: string): string[] {
  if (!fs.statSync(fileOrDir).isDirectory()) return [fileOrDir];
  return fs.readdirSync(fileOrDir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => {
      const entry = path.join(fileOrDir, e.name);
      if (e.isDirectory()) return yamlFilesOf(entry);
      return MANIFEST_FILE.test(e.name) && e.isFile() ? [entry] : [];
    });
}
