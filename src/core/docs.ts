/** Where rule documentation lives. One place, so every reporter links the same page. */
export const docsBaseUrl = "https://github.com/shipgate/shipgate/blob/main/docs/rules/";

export function ruleDocsUrl(ruleId: string): string {
  return `${docsBaseUrl}${ruleId}.md`;
}
