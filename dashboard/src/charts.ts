/**
 * Apache ECharts, only the parts the dashboard draws (lines, bars, a tree), so that the
 * bundle carries those and not the whole library. Each chart follows its box's width: the page
 * works from a phone's width to a wide screen.
 */
import { BarChart, LineChart, TreeChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { h } from './dom';

echarts.use([LineChart, BarChart, TreeChart, GridComponent, LegendComponent, TooltipComponent, DataZoomComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

const charts = new Set<echarts.ECharts>();
window.addEventListener('resize', () => {
  for (const chart of charts) chart.resize();
});

/** Charts drawn for a section that is drawn again are let go first. */
export function disposeWithin(element: Element): void {
  for (const chart of charts) {
    if (element.contains(chart.getDom())) {
      chart.dispose();
      charts.delete(chart);
    }
  }
}

/** A chart in a box of this height; `name` lets tests find it. */
export function chart(name: string, option: ChartOption, height = 280): HTMLElement {
  const box = h('div', { class: 'chart', 'data-chart': name, style: `height:${height}px` });
  // drawn once the box is in the page and has a width
  requestAnimationFrame(() => {
    const drawn = echarts.init(box);
    drawn.setOption({ animation: false, ...option });
    charts.add(drawn);
  });
  return box;
}

/** Colours that stay apart when stacked. */
export const PALETTE = ['#2f6fde', '#18a058', '#f0a020', '#d03050', '#7e57c2', '#00a3b4', '#8d6e63', '#5c6bc0', '#c0ca33', '#ec407a', '#26a69a', '#78909c'];
