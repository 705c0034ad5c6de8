import Foundation

/// A small inline SVG line chart of figures against training steps, its step axis also
/// labelled with the training time at each tick (so one chart reads against steps and time).
struct LineChart {
    struct Series {
        var name: String
        var color: String
        var points: [(x: Double, y: Double)]
        /// Dots on the points as well (few points, such as validations).
        var dots = false
    }

    var title: String
    var series: [Series]
    /// The training time, in seconds, at a step.
    var timeAt: (Double) -> Double?
    var format: (Double) -> String = { LineChart.compact($0) }
    let width = 430.0, height = 220.0
    private let left = 56.0, right = 14.0, top = 30.0, bottom = 44.0

    func svg() -> String {
        var svg = "<svg class=\"chart\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" role=\"img\">\n"
        svg += "<text x=\"\(n(left))\" y=\"16\" class=\"chart-title\">\(escaped(title))</text>\n"
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        guard let minX = finite.map(\.x).min(), let maxX = finite.map(\.x).max(),
              var minY = finite.map(\.y).min(), var maxY = finite.map(\.y).max() else {
            return svg + "<text x=\"\(n(width / 2))\" y=\"\(n(height / 2))\" text-anchor=\"middle\" class=\"muted\">no data yet</text>\n</svg>\n"
        }
        if maxY - minY <= abs(maxY) * 1e-9 {  // a constant: centred, ±50%
            let pad = minY == 0 ? 1 : abs(minY) / 2
            (minY, maxY) = (minY - pad, maxY + pad)
        }
        let spanX = Swift.max(maxX - minX, 1)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - minX) / spanX * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - minY) / (maxY - minY)) * plotHeight }
        svg += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(plotWidth))\" height=\"\(n(plotHeight))\" class=\"plot\"/>\n"
        for tick in Self.ticks(minY, maxY, count: 4) {
            svg += "<line x1=\"\(n(left))\" x2=\"\(n(width - right))\" y1=\"\(n(py(tick)))\" y2=\"\(n(py(tick)))\" class=\"grid\"/>"
            svg += "<text x=\"\(n(left - 4))\" y=\"\(n(py(tick) + 4))\" text-anchor=\"end\" class=\"tick\">\(escaped(format(tick)))</text>\n"
        }
        for tick in Self.ticks(minX, minX + spanX, count: 4).filter({ $0 == $0.rounded() }) {
            let x = px(tick), time = timeAt(tick).map { ProgressPrinter.clock($0) } ?? ""
            svg += "<line x1=\"\(n(x))\" x2=\"\(n(x))\" y1=\"\(n(top + plotHeight))\" y2=\"\(n(top + plotHeight + 4))\" class=\"axis\"/>"
            svg += "<text x=\"\(n(x))\" y=\"\(n(top + plotHeight + 16))\" text-anchor=\"middle\" class=\"tick\">\(Int(tick))</text>"
            svg += "<text x=\"\(n(x))\" y=\"\(n(top + plotHeight + 29))\" text-anchor=\"middle\" class=\"tick muted\">\(time)</text>\n"
        }
        svg += "<text x=\"\(n(width - right))\" y=\"\(n(height - 3))\" text-anchor=\"end\" class=\"tick muted\">step / time</text>\n"
        for (index, line) in series.enumerated() {
            // A non-finite value breaks the line.
            var segments: [[(x: Double, y: Double)]] = [[]]
            for point in line.points {
                if point.x.isFinite && point.y.isFinite { segments[segments.count - 1].append(point) } else if !segments[segments.count - 1].isEmpty { segments.append([]) }
            }
            for segment in segments where segment.count > 1 {
                let points = segment.map { "\(n(px($0.x))),\(n(py($0.y)))" }.joined(separator: " ")
                svg += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.6\"/>\n"
            }
            for point in line.points where point.x.isFinite && point.y.isFinite && (line.dots || line.points.count == 1) {
                svg += "<circle cx=\"\(n(px(point.x)))\" cy=\"\(n(py(point.y)))\" r=\"2.6\" fill=\"\(line.color)\"><title>step \(Int(point.x)): \(escaped(format(point.y)))</title></circle>"
            }
            if series.count > 1 {
                let y = top + 14, x = width - right - Double(series.count - index) * 72
                svg += "<rect x=\"\(n(x))\" y=\"\(n(y - 8))\" width=\"10\" height=\"3\" fill=\"\(line.color)\"/>"
                svg += "<text x=\"\(n(x + 14))\" y=\"\(n(y - 3))\" class=\"tick\">\(escaped(line.name))</text>\n"
            }
        }
        return svg + "</svg>\n"
    }

    /// About `count` round values from `low` to `high` (steps of 1, 2 or 5 × 10ᵏ).
    static func ticks(_ low: Double, _ high: Double, count: Int) -> [Double] {
        let raw = (high - low) / Double(count)
        guard raw > 0, raw.isFinite else { return [low] }
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var value = ceil(low / step) * step, values: [Double] = []
        while value <= high + step * 1e-9 {
            values.append(value)
            value += step
        }
        return values
    }

    /// `0.0123`, `12.3`, `1.2e-05`: short labels for any scale.
    static func compact(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.1e", value) }
        if magnitude >= 100 { return String(format: "%.0f", value) }
        return String(format: "%.3g", value)
    }

    private func n(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// `text` with `&`, `<`, `>` and `"` escaped, for XML text and attributes.
func escaped(_ text: String) -> String {
    var result = ""
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        default: result.append(character)
        }
    }
    return result
}
