import Foundation

/// Where everything goes in an SVG heatmap, in user units (CSS pixels), worked out from the token
/// lengths so that labels never overlap each other or the cells.
///
/// ```
///  title
///  source →      ↗ rotated (or level) source labels, one per column
///  target ↓   ┌──────────────┐   ┌┐ 1
///  target     │ T × S cells  │   ││ 0.5   legend
///  labels     └──────────────┘   └┘ 0
/// ```
struct HeatmapLayout {
    static let margin = 16.0
    static let gap = 8.0
    static let fontSize = 12.0
    static let captionFontSize = 11.0
    static let titleFontSize = 14.0
    static let weightFontSize = 10.0
    /// Cells at least this big show their weight as text.
    static let minimumCellForWeights = 32.0
    static let maxLabelWidth = 150.0
    static let legendBarWidth = 12.0
    /// Rotated source labels rise at this angle (degrees, counter-clockwise).
    static let labelAngle = 45.0

    /// The drawn labels, each cut to ``maxLabelWidth``.
    let sourceLabels: [String]
    let targetLabels: [String]
    /// The side of one square cell.
    let cell: Double
    /// Whether cells are big enough to print their weights in.
    var showsWeights: Bool { cell >= Self.minimumCellForWeights }
    /// Whether the source labels are rotated because one is wider than a cell.
    let rotatesSourceLabels: Bool
    /// The baseline of the title, when there is one.
    let titleBaseline: Double?
    /// The top-left corner of the cell grid.
    let left: Double
    let top: Double
    /// The colour bar: its left edge, top and height.
    let legendLeft: Double
    let legendTop: Double
    let legendHeight: Double
    /// The whole picture.
    let width: Double
    let height: Double

    init(matrix: AttentionMatrix, title: String?, axes: HeatmapAxes = .attention) {
        let (margin, gap, fontSize) = (Self.margin, Self.gap, Self.fontSize)
        sourceLabels = matrix.sourceTokens.map { SVGText.label($0, fontSize: fontSize, maxWidth: Self.maxLabelWidth) }
        targetLabels = matrix.targetTokens.map { SVGText.label($0, fontSize: fontSize, maxWidth: Self.maxLabelWidth) }
        // Big cells for short sentences, never so small that 12 px labels stop fitting: at 24 px
        // rotated labels sit 24 · sin 45° ≈ 17 px apart, more than a line of text.
        let longest = Double(max(matrix.rowCount, matrix.columnCount))
        let cell = min(max((480 / longest).rounded(), 24), 40)
        self.cell = cell

        let sourceWidths = sourceLabels.map { SVGText.width(of: $0, fontSize: fontSize) }
        let targetWidths = targetLabels.map { SVGText.width(of: $0, fontSize: fontSize) }
        let rotates = sourceWidths.contains { $0 > cell - 4 }
        rotatesSourceLabels = rotates
        let captionWidth = max(SVGText.width(of: axes.columnCaption, fontSize: Self.captionFontSize),
                               SVGText.width(of: axes.rowCaption, fontSize: Self.captionFontSize))

        let angle = Self.labelAngle * .pi / 180
        let widestSource = sourceWidths.max() ?? 0
        // Tall enough for the labels and for the two corner captions.
        let columnLabelHeight = max(
            rotates ? widestSource * sin(angle) + fontSize * 0.7 : fontSize,
            2 * Self.captionFontSize + 6) + gap
        // How far the last rotated labels reach past the right edge of the grid.
        let columns = Double(matrix.columnCount)
        let overhang = rotates
            ? (sourceWidths.enumerated().map { (Double($0.offset) + 0.5) * cell + $0.element * cos(angle) }.max() ?? 0)
                - columns * cell
            : 0

        var y = margin
        if title != nil {
            titleBaseline = y + Self.titleFontSize
            y += Self.titleFontSize + gap * 1.5
        } else {
            titleBaseline = nil
        }
        top = y + columnLabelHeight
        left = margin + max(targetWidths.max() ?? 0, captionWidth) + gap

        let gridHeight = Double(matrix.rowCount) * cell
        legendLeft = left + columns * cell + 3 * gap
        legendTop = top
        legendHeight = min(max(gridHeight, 96), 240)
        let legendRight = legendLeft + Self.legendBarWidth + 6 + SVGText.width(of: "0.75", fontSize: Self.captionFontSize)
        let titleRight = margin + SVGText.width(of: title ?? "", fontSize: Self.titleFontSize)
        width = (max(legendRight, left + columns * cell + max(overhang, 0), titleRight) + margin).rounded(.up)
        // Below the bar: the caption "weight".
        height = (max(top + gridHeight, legendTop + legendHeight + gap + Self.captionFontSize * 1.5) + margin)
            .rounded(.up)
    }

    /// The top-left corner of cell (`target`, `source`).
    func origin(target: Int, source: Int) -> (x: Double, y: Double) {
        (left + Double(source) * cell, top + Double(target) * cell)
    }

    /// The anchor point of source label `source`: its start when rotated, its middle when level.
    func sourceLabelAnchor(_ source: Int) -> (x: Double, y: Double) {
        let centre = left + (Double(source) + 0.5) * cell
        // A rotated label starts a little left of the centre, so that its middle line, not its
        // baseline, points at the column.
        return rotatesSourceLabels ? (centre - Self.fontSize * 0.25, top - 5) : (centre, top - Self.gap)
    }

    /// The anchor point (end) of target label `target`, vertically centred on its row.
    func targetLabelAnchor(_ target: Int) -> (x: Double, y: Double) {
        (left - Self.gap, top + (Double(target) + 0.5) * cell + Self.fontSize * 0.35)
    }
}
