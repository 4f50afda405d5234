/** What the file editors of tasks/parse return: the new text and whether it differs. */
export interface EditResult {
  text: string;
  changed: boolean;
}
