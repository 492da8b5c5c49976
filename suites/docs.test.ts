// The documentation a newcomer reads first: the README stays a first-day page (at most 200 lines,
// everything else in docs/), and no relative link in it or in docs/*.md points at a file or heading
// that is not there (a moved section, a renamed file), as GitHub would render it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/python/paths.js';

const README = join(REPO_ROOT, 'README.md');
const DOCS = join(REPO_ROOT, 'docs');
const pages = [README, ...readdirSync(DOCS).filter((name) => name.endsWith('.md')).map((name) => join(DOCS, name))];

/** Markdown without its fenced code blocks and inline code, where brackets are not links. */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for each heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`,
 * a repeated anchor numbered `-1`, `-2`, ... */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const match of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = match[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count ? `${slug}-${count}` : slug);
  }
  return anchors;
}

/** Every relative link target of a page: `[text](target)` and `![alt](target)`, without a title. */
function relativeLinks(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** What is wrong with one link of ``page``, or undefined. */
function brokenLink(page: string, target: string): string | undefined {
  const [path, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = path ? resolve(dirname(page), decodeURIComponent(path)) : page;
  if (!existsSync(file)) return `${target}: no file ${relative(REPO_ROOT, file)}`;
  if (anchor === undefined || statSync(file).isDirectory() || !file.endsWith('.md')) return undefined;
  return headingAnchors(readFileSync(file, 'utf8')).has(anchor.toLowerCase())
    ? undefined : `${target}: no heading '#${anchor}' in ${relative(REPO_ROOT, file)}`;
}

describe('documentation', () => {
  it('keeps the README to a first-day page of at most 200 lines', () => {
    const lines = readFileSync(README, 'utf8').trimEnd().split('\n').length;
    expect(lines, 'README.md: move detail into docs/ and link it').toBeLessThanOrEqual(200);
  });

  it('links every page of docs/ from the README', () => {
    const linked = new Set(relativeLinks(readFileSync(README, 'utf8')).map((t) => resolve(REPO_ROOT, t.split('#')[0])));
    const unlinked = pages.slice(1).filter((page) => !linked.has(page)).map((page) => relative(REPO_ROOT, page));
    expect(unlinked, 'docs/ pages the README does not link').toEqual([]);
  });

  it.each(pages.map((page) => [relative(REPO_ROOT, page), page] as const))('%s: every relative link resolves', (_, page) => {
    const broken = relativeLinks(readFileSync(page, 'utf8')).map((target) => brokenLink(page, target)).filter(Boolean);
    expect(broken).toEqual([]);
  });

  it('computes anchors as GitHub does', () => {
    expect([...headingAnchors('# A `code` title: here\n## The same API as transformers.exporters\n## x\n## x\n```\n# not a heading\n```')])
      .toEqual(['a-code-title-here', 'the-same-api-as-transformersexporters', 'x', 'x-1']);
  });
});
