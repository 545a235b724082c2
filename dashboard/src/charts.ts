/**
 * Apache ECharts, only the parts the dashboard draws (lines, bars, a tree), so that the
 * bundle carries those and not the whole library. Drawn as SVG: its labels are text in the page,
 * which a test can read and measure (that each lies within its chart at a phone's width, that
 * each is in the page's language), and SVG keeps little memory on a phone. Each chart follows
 * its box's width: the page works from a phone's width to a wide screen.
 */
import { BarChart, LineChart, TreeChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { LabelLayout } from 'echarts/features';
import { SVGRenderer } from 'echarts/renderers';
import { h } from './dom';

echarts.use([LineChart, BarChart, TreeChart, GridComponent, LegendComponent, TooltipComponent, DataZoomComponent, LabelLayout, SVGRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

/** Each chart's box, what watches its size, and the chart once drawn. */
interface Drawing {
  element: HTMLElement;
  observer: ResizeObserver;
  chart?: echarts.ECharts;
}
const drawings = new Set<Drawing>();

/** Charts drawn for a section that is drawn again are let go first. */
export function disposeWithin(element: Element): void {
  for (const drawing of drawings) {
    if (element.contains(drawing.element)) {
      drawing.observer.disconnect();
      drawing.chart?.dispose();
      drawings.delete(drawing);
    }
  }
}

export interface ChartBox {
  /** Its labels are data (the operator's channel names, openids), in neither of the page's languages. */
  raw?: boolean;
}

/**
 * A chart laid out for the width of its box (px): its option and its height (px). Asked again
 * whenever that width changes, so that the chart fits its box at any width rather than scroll.
 */
export type Fitted = (width: number) => { option: ChartOption; height: number };

/**
 * A chart in a box of this height (a `Fitted` chart's own height, once drawn); `name` lets tests
 * find it. Drawn once its box is in the page and has a width (a section is built before it is
 * shown: drawn then, a chart would keep a width of 0), and drawn again whenever that width changes
 * (a turned phone, a resized window): laid out again when it is `Fitted`.
 */
export function chart(name: string, option: ChartOption | Fitted, height = 280, box: ChartBox = {}): HTMLElement {
  const element = h('div', { class: 'chart', 'data-chart': name, style: `height:${height}px`, ...(box.raw ? { 'data-raw': true } : {}) });
  let fittedTo = 0;
  const drawing: Drawing = {
    element,
    observer: new ResizeObserver(() => {
      const width = element.clientWidth;
      if (width === 0) return;
      if (typeof option === 'function') {
        // its own height changed, or nothing: the layout for this width stands
        if (width === fittedTo) return drawing.chart?.resize();
        fittedTo = width;
        const fit = option(width);
        element.style.height = `${fit.height}px`;
        drawing.chart ??= echarts.init(element, undefined, { renderer: 'svg' });
        drawing.chart.resize();
        return drawing.chart.setOption({ animation: false, ...fit.option }, { notMerge: true });
      }
      if (drawing.chart) return drawing.chart.resize();
      drawing.chart = echarts.init(element, undefined, { renderer: 'svg' });
      drawing.chart.setOption({ animation: false, ...option });
    }),
  };
  drawing.observer.observe(element);
  drawings.add(drawing);
  return element;
}

/** Colours that stay apart when stacked. */
export const PALETTE = ['#2f6fde', '#18a058', '#f0a020', '#d03050', '#7e57c2', '#00a3b4', '#8d6e63', '#5c6bc0', '#c0ca33', '#ec407a', '#26a69a', '#78909c'];
