const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Characters as people count them (grapheme clusters: an emoji, a flag or a
 * letter with its accents is one), which is how the protocol's text limits
 * (`maxChatLength`) are measured. Counting stops once past `stopAfter`.
 */
export function characterCount(text: string, stopAfter = Number.POSITIVE_INFINITY): number {
  let n = 0;
  for (const _ of graphemes.segment(text)) if (++n > stopAfter) break;
  return n;
}
