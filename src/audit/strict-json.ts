/**
 * JSON.parse keeps the last of two equal keys, where another reader may keep the first: a file with a
 * key twice could show one value to a person and have another verified. Evidence read from a partner's
 * file is refused when any object in it repeats a key.
 */

/** The first key repeated within one object of valid JSON `text`, or undefined. */
export function repeatedKey(text: string): string | undefined {
  const open: (Set<string> | undefined)[] = [];
  let lastString: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      lastString = text.slice(i, j + 1);
      i = j;
    } else if (c === '{') open.push(new Set());
    else if (c === '[') open.push(undefined);
    else if (c === '}' || c === ']') open.pop();
    else if (c === ':') {
      const keys = open[open.length - 1]!;
      const key = JSON.parse(lastString!) as string;
      if (keys.has(key)) return key;
      keys.add(key);
    }
  }
  return undefined;
}
