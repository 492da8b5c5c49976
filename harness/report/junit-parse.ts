// For tests: a JUnit XML file read back by Python's expat, a strict parser, so a file a CI system
// would reject throws here; returned as plain data to assert on.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../python/paths.js';

export interface ParsedCase { classname: string; name: string; time: string; children: { tag: string; message?: string; type?: string; text: string }[] }
export interface ParsedSuite { name: string; attrs: Record<string, string>; cases: ParsedCase[] }

const PARSE = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
def case(c):
    return {**c.attrib, "children": [{"tag": e.tag, **e.attrib, "text": e.text or ""} for e in c]}
print(json.dumps({"tag": root.tag, "attrs": root.attrib, "suites": [
    {"name": s.get("name"), "attrs": s.attrib, "cases": [case(c) for c in s]} for s in root]}))
`;

export function parseJunit(file: string): { tag: string; attrs: Record<string, string>; suites: ParsedSuite[] } {
  return JSON.parse(execFileSync(join(REPO_ROOT, 'bin', 'py'), ['-c', PARSE, file], { encoding: 'utf8' }));
}
