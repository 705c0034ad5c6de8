/// Draws an attention matrix as a self-contained SVG heatmap that any browser opens.
///
/// One square cell per weight `α_ts`, target tokens down the left (rows), source tokens along the
/// top (columns, rotated 45° when a token is wider than a cell), filled on a white → dark blue
/// scale from 0 to 1 (``HeatmapColorScale``; weights outside `0 … 1` are clamped), with a colour
/// bar for a legend. Hovering a cell shows its tokens, indices and its weight to six decimals
/// (an SVG `<title>`), and outlines it; when cells are big enough (sentences of up to 15 tokens),
/// weights of 0.1 and more are also printed in their cells, as `.86`. The picture is sized to
/// the tokens; labels longer than 150 px are cut with "…" (the full token is in the label's
/// `<title>`). No scripts, fonts or external references: the file is one static XML document,
/// with every token XML-escaped.
public struct SVGHeatmapWriter: Sendable {
    public init() {}

    /// The SVG document for one sentence.
    ///
    /// - Parameters:
    ///   - matrix: `[T, S]` weights with their tokens.
    ///   - title: a heading drawn above the heatmap and used as the document's `<title>`, such as
    ///     `"sentence 1"`; none when `nil`.
    ///   - axes: what the corner captions call the columns and the rows.
    /// - Returns: a complete SVG 1.1 document, ending in a line feed.
    public func document(for matrix: AttentionMatrix, title: String? = nil, axes: HeatmapAxes = .attention) -> String {
        let layout = HeatmapLayout(matrix: matrix, title: title, axes: axes)
        let scale = HeatmapColorScale()
        let n = SVGText.number
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(n(layout.width))" \
            height="\(n(layout.height))" viewBox="0 0 \(n(layout.width)) \(n(layout.height))" role="img" \
            font-family="DejaVu Sans, Verdana, Helvetica, Arial, sans-serif" font-size="\(n(HeatmapLayout.fontSize))">

            """
        svg += "<title>\(SVGText.escaped(title ?? "attention alignment"))</title>\n"
        svg += "<desc>\(SVGText.escaped(description(of: matrix)))</desc>\n"
        svg += """
            <style>
            .cell { stroke: #e4e4e4; stroke-width: 1; }
            .cell:hover { stroke: #d1495b; stroke-width: 2.5; }
            .caption { fill: #777777; font-size: \(n(HeatmapLayout.captionFontSize))px; }
            </style>
            <rect width="100%" height="100%" fill="#ffffff"/>

            """
        if let baseline = layout.titleBaseline, let title {
            svg += "<text x=\"\(n(HeatmapLayout.margin))\" y=\"\(n(baseline))\" font-size=\"\(n(HeatmapLayout.titleFontSize))\" "
                + "font-weight=\"bold\" fill=\"#222222\">\(SVGText.escaped(title))</text>\n"
        }
        svg += captions(layout, axes)
        svg += sourceLabels(matrix, layout)
        svg += targetLabels(matrix, layout)
        svg += cells(matrix, layout, scale)
        svg += legend(layout, scale)
        svg += "</svg>\n"
        return svg
    }

    /// The source and target sentences, for screen readers and search.
    private func description(of matrix: AttentionMatrix) -> String {
        "Attention weights of \(matrix.rowCount) target tokens over \(matrix.columnCount) source tokens. "
            + "Source: \(matrix.sourceTokens.joined(separator: " ")). Target: \(matrix.targetTokens.joined(separator: " "))."
    }

    /// "source →" and "target ↓" (or `axes`' names) in the empty corner, pointing at the two sets of labels.
    private func captions(_ layout: HeatmapLayout, _ axes: HeatmapAxes) -> String {
        let n = SVGText.number
        let x = n(layout.left - HeatmapLayout.gap)
        return "<text class=\"caption\" x=\"\(x)\" y=\"\(n(layout.top - HeatmapLayout.gap - HeatmapLayout.captionFontSize - 4))\" "
            + "text-anchor=\"end\">\(SVGText.escaped(axes.columnCaption))</text>\n"
            + "<text class=\"caption\" x=\"\(x)\" y=\"\(n(layout.top - HeatmapLayout.gap))\" text-anchor=\"end\">\(SVGText.escaped(axes.rowCaption))</text>\n"
    }

    private func sourceLabels(_ matrix: AttentionMatrix, _ layout: HeatmapLayout) -> String {
        let n = SVGText.number
        var svg = "<g fill=\"#222222\">\n"
        for (source, label) in layout.sourceLabels.enumerated() {
            let (x, y) = layout.sourceLabelAnchor(source)
            let placement = layout.rotatesSourceLabels
                ? "text-anchor=\"start\" transform=\"rotate(-\(n(HeatmapLayout.labelAngle)) \(n(x)) \(n(y)))\""
                : "text-anchor=\"middle\""
            svg += "<text x=\"\(n(x))\" y=\"\(n(y))\" \(placement)>\(SVGText.escaped(label))"
                + "\(fullToken(matrix.sourceTokens[source], drawnAs: label))</text>\n"
        }
        return svg + "</g>\n"
    }

    private func targetLabels(_ matrix: AttentionMatrix, _ layout: HeatmapLayout) -> String {
        let n = SVGText.number
        var svg = "<g fill=\"#222222\" text-anchor=\"end\">\n"
        for (target, label) in layout.targetLabels.enumerated() {
            let (x, y) = layout.targetLabelAnchor(target)
            svg += "<text x=\"\(n(x))\" y=\"\(n(y))\">\(SVGText.escaped(label))"
                + "\(fullToken(matrix.targetTokens[target], drawnAs: label))</text>\n"
        }
        return svg + "</g>\n"
    }

    /// A `<title>` with the whole token when the label had to be cut.
    private func fullToken(_ token: String, drawnAs label: String) -> String {
        label == token ? "" : "<title>\(SVGText.escaped(token))</title>"
    }

    /// One `<rect class="cell">` per weight, row by row, then a frame around the grid.
    private func cells(_ matrix: AttentionMatrix, _ layout: HeatmapLayout, _ scale: HeatmapColorScale) -> String {
        let n = SVGText.number
        let formatter = WeightFormatter()
        let side = n(layout.cell)
        var svg = "<g>\n"
        for target in 0..<matrix.rowCount {
            let texts = formatter.format(row: matrix.row(target))
            let targetToken = SVGText.escaped(matrix.targetTokens[target])
            for source in 0..<matrix.columnCount {
                let (x, y) = layout.origin(target: target, source: source)
                svg += "<rect class=\"cell\" x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(side)\" height=\"\(side)\" "
                    + "fill=\"\(scale.color(for: matrix[target, source]))\"><title>"
                    + "target \(target): \(targetToken)\nsource \(source): \(SVGText.escaped(matrix.sourceTokens[source]))\n"
                    + "weight: \(texts[source])</title></rect>\n"
            }
        }
        svg += "</g>\n"
        if layout.showsWeights { svg += weightLabels(matrix, layout, scale) }
        svg += "<rect x=\"\(n(layout.left))\" y=\"\(n(layout.top))\" width=\"\(n(Double(matrix.columnCount) * layout.cell))\" "
            + "height=\"\(n(Double(matrix.rowCount) * layout.cell))\" fill=\"none\" stroke=\"#9a9a9a\" stroke-width=\"1\"/>\n"
        return svg
    }

    /// The weights of at least 0.1, to two decimals, printed in their cells (only when cells are
    /// big enough): `.86`, `.90`, `1`. Not hit by the mouse, so the cell's `<title>` still shows.
    private func weightLabels(_ matrix: AttentionMatrix, _ layout: HeatmapLayout, _ scale: HeatmapColorScale) -> String {
        let n = SVGText.number
        var svg = "<g font-size=\"\(n(HeatmapLayout.weightFontSize))\" text-anchor=\"middle\" pointer-events=\"none\">\n"
        for target in 0..<matrix.rowCount {
            for source in 0..<matrix.columnCount {
                let hundredths = Int((Double(matrix[target, source]) * 100).rounded())
                guard hundredths >= 10 else { continue }
                let text = hundredths >= 100 ? "1" : ".\(hundredths)"
                let (x, y) = layout.origin(target: target, source: source)
                let fill = scale.prefersLightText(over: matrix[target, source]) ? "#ffffff" : "#1b2a3a"
                svg += "<text x=\"\(n(x + layout.cell / 2))\" y=\"\(n(y + layout.cell / 2 + HeatmapLayout.weightFontSize * 0.35))\" "
                    + "fill=\"\(fill)\">\(text)</text>\n"
            }
        }
        return svg + "</g>\n"
    }

    /// A vertical colour bar, 1 at the top, with ticks at 0, 0.25, 0.5, 0.75 and 1.
    private func legend(_ layout: HeatmapLayout, _ scale: HeatmapColorScale) -> String {
        let n = SVGText.number
        let (x, top, height, barWidth) = (layout.legendLeft, layout.legendTop, layout.legendHeight, HeatmapLayout.legendBarWidth)
        var svg = "<defs><linearGradient id=\"attend-weight-scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n"
        for stop in scale.gradientStops {
            svg += "<stop offset=\"\(n(stop.offset * 100))%\" stop-color=\"\(stop.color)\"/>\n"
        }
        svg += "</linearGradient></defs>\n<g class=\"legend\">\n"
        svg += "<rect x=\"\(n(x))\" y=\"\(n(top))\" width=\"\(n(barWidth))\" height=\"\(n(height))\" "
            + "fill=\"url(#attend-weight-scale)\" stroke=\"#9a9a9a\" stroke-width=\"1\"/>\n"
        for (value, text) in [(0.0, "0"), (0.25, "0.25"), (0.5, "0.5"), (0.75, "0.75"), (1.0, "1")] {
            let y = top + height * (1 - value)
            svg += "<line x1=\"\(n(x + barWidth))\" y1=\"\(n(y))\" x2=\"\(n(x + barWidth + 3))\" y2=\"\(n(y))\" stroke=\"#777777\"/>\n"
            svg += "<text class=\"caption\" x=\"\(n(x + barWidth + 6))\" y=\"\(n(y + 4))\">\(text)</text>\n"
        }
        svg += "<text class=\"caption\" x=\"\(n(x))\" y=\"\(n(top + height + HeatmapLayout.gap + HeatmapLayout.captionFontSize))\">weight</text>\n"
        return svg + "</g>\n"
    }
}
