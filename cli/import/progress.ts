/** A one-line progress bar redrawn in place; only ever drawn when stdout is a terminal. */
export function progressBar(write: (text: string) => void, total: number, width = 30) {
  let drawn = false;
  return {
    update(done: number, label: string) {
      const filled = total === 0 ? width : Math.round((done / total) * width);
      write(`\r\x1b[2K[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${label.slice(0, 40)}`);
      drawn = true;
    },
    clear() {
      if (drawn) write("\r\x1b[2K");
    },
  };
}
