import Foundation
import Seq2Seq

/// A probe's attention matrix as inline SVG for the report: target words down the left, source
/// words along the top, one cell per weight on the heatmaps' white → blue scale. Every cell has
/// an id (`p{probe}-{row}-{column}`), so the page's slider can recolour it for another step.
struct ProbeHeatmap {
    var probe: Int
    var attention: ProbeAttention
    /// Cell size in pixels; labels are drawn only when cells are at least 10 px.
    var cell: Double
    var interactive: Bool

    static let scale = HeatmapColorScale()
    /// The fills of the weights 0, 0.01, …, 1, which the page's script looks colours up in.
    static let palette = (0...100).map { scale.color(for: Float($0) / 100) }

    /// A big view: cells sized to fit about 380 px, labelled.
    static func large(probe: Int, _ attention: ProbeAttention) -> ProbeHeatmap {
        let longest = Double(Swift.max(attention.source.count, attention.target.count, 1))
        return ProbeHeatmap(probe: probe, attention: attention, cell: Swift.min(26, Swift.max(6, (380 / longest).rounded(.down))), interactive: true)
    }

    /// A thumbnail for the strip of small multiples.
    static func small(probe: Int, _ attention: ProbeAttention) -> ProbeHeatmap {
        let longest = Double(Swift.max(attention.source.count, attention.target.count, 1))
        return ProbeHeatmap(probe: probe, attention: attention, cell: Swift.max(2, (110 / longest).rounded(.down)), interactive: false)
    }

    func svg() -> String {
        let labelled = cell >= 10
        let labelWidth = labelled ? 12 + 7 * Double((attention.source + attention.target).map(\.count).max() ?? 1) : 0
        let left = labelled ? Swift.min(labelWidth, 110) : 0, top = labelled ? Swift.min(labelWidth, 110) : 0
        let width = left + cell * Double(attention.source.count) + 2, height = top + cell * Double(attention.target.count) + 2
        var svg = "<svg class=\"heatmap\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" role=\"img\">\n"
        if labelled {
            for (column, token) in attention.source.enumerated() {
                let x = left + cell * (Double(column) + 0.5), y = top - 4
                svg += "<text transform=\"translate(\(n(x)),\(n(y))) rotate(-60)\" class=\"token\">\(escaped(token))</text>"
            }
            for (row, token) in attention.target.enumerated() {
                svg += "<text x=\"\(n(left - 4))\" y=\"\(n(top + cell * (Double(row) + 0.5) + 4))\" text-anchor=\"end\" class=\"token\">\(escaped(token))</text>"
            }
            svg += "\n"
        }
        for (row, weights) in attention.weights.enumerated() {
            for (column, weight) in weights.enumerated() {
                let id = interactive ? " id=\"p\(probe)-\(row)-\(column)\"" : ""
                svg += "<rect\(id) x=\"\(n(left + cell * Double(column)))\" y=\"\(n(top + cell * Double(row)))\" width=\"\(n(cell))\" height=\"\(n(cell))\" fill=\"\(Self.scale.color(for: weight))\"/>"
            }
            svg += "\n"
        }
        return svg + "</svg>\n"
    }

    private func n(_ value: Double) -> String { String(format: "%.1f", value) }
}
