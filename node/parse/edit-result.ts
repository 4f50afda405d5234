/** What the file editors of node/parse/ return: the new text and whether it differs. */
export interface EditResult {
  text: string;
  changed: boolean;
}
