/**
 * The parts of Apache ECharts the report draws with, registered once. Imported lazily by
 * chart-render.ts, and with named imports so the bundler keeps only the line chart, the grid,
 * mark lines, graphic text and the SVG renderer (not every chart type ECharts has).
 */
import { LineChart } from 'echarts/charts'
import { GraphicComponent, GridComponent, MarkLineComponent } from 'echarts/components'
import * as echarts from 'echarts/core'
import { SVGRenderer } from 'echarts/renderers'

echarts.use([LineChart, GridComponent, MarkLineComponent, GraphicComponent, SVGRenderer])

export { echarts }
