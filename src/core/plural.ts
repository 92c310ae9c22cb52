/** "1 error", "2 errors", "0 errors"; `many` for irregular plurals ("1 entry", "2 entries"). */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
