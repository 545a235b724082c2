/**
 * Answers of which only the newest asked reaches the page. A control that asks again (a menu, a
 * row's button) can be used before its last answer came: on a slow network or a cold function,
 * that older answer may come after the newer one and would be drawn over it, the menu saying one
 * thing and the table another.
 *
 * @returns `newest(pending)`: a promise settling as `pending` does when no later `pending` was
 *   given meanwhile, and never otherwise (what waited on it is then simply dropped)
 */
export function newestOnly(): <T>(pending: Promise<T>) => Promise<T> {
  let latest = 0;
  return <T>(pending: Promise<T>): Promise<T> => {
    const mine = ++latest;
    return new Promise<T>((resolve, reject) => {
      pending.then(
        (value) => mine === latest && resolve(value),
        (error: unknown) => mine === latest && reject(error instanceof Error ? error : new Error(String(error))),
      );
    });
  };
}
