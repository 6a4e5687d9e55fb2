/**
 * Generated sections of a Markdown document: everything between
 *   <!-- generated:bench:begin <source> -->
 *   <!-- generated:bench:end -->
 * is rendered from `<source>` (a committed result file or folder), so the tables in the docs
 * cannot drift from the results they cite. Pure: the caller reads the sources.
 */

const BEGIN = /^<!-- generated:bench:begin (\S+) -->$/;
const END = '<!-- generated:bench:end -->';

export class GeneratedSectionError extends Error {
  override readonly name = 'GeneratedSectionError';
}

/** The sources named by the document's sections, in order. */
export function sectionSources(doc: string): string[] {
  return parse(doc).flatMap((part) => (typeof part === 'string' ? [] : [part.source]));
}

/** The document with every section's body replaced by `render(source)`; text outside is kept byte for byte. */
export function renderSections(doc: string, render: (source: string) => string): string {
  return parse(doc)
    .map((part) => (typeof part === 'string' ? part : `<!-- generated:bench:begin ${part.source} -->\n${render(part.source).trimEnd()}\n${END}`))
    .join('');
}

type Part = string | { source: string };

function parse(doc: string): Part[] {
  const parts: Part[] = [];
  const lines = doc.split('\n');
  let text: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = BEGIN.exec(lines[i]);
    if (!begin) {
      if (lines[i] === END) throw new GeneratedSectionError(`line ${i + 1}: ${END} without a begin marker`);
      text.push(lines[i]);
      continue;
    }
    const end = lines.indexOf(END, i + 1);
    const nested = lines.slice(i + 1, end).findIndex((l) => BEGIN.test(l));
    if (end < 0 || nested >= 0) throw new GeneratedSectionError(`line ${i + 1}: section ${begin[1]} has no ${END} before the next section or the end`);
    parts.push(text.length ? `${text.join('\n')}\n` : '', { source: begin[1] });
    text = [''];
    i = end;
  }
  parts.push(text.join('\n'));
  return parts.filter((p) => p !== '');
}
