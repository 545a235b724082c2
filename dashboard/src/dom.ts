/** A small way to build the page: `h('div', {class: 'card'}, child, 'text')`. */
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string | boolean | EventListener> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false) element.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(typeof child === 'number' ? String(child) : child);
  return element;
}

export function clear(element: Element): void {
  element.replaceChildren();
}

/**
 * Data shown as it is (an id, a key, a name the operator or the catalog gave), inside a text of
 * the page's words: marked, so that a test of the page's languages knows it belongs to neither.
 */
export const raw = (text: string): HTMLElement => h('span', { 'data-raw': true }, text);
