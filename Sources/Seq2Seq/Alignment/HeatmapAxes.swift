/// What a heatmap's columns and rows stand for, as its corner captions name them: `source →`
/// and `target ↓` for an attention matrix; `slot →` for the weightings over a memory.
public struct HeatmapAxes: Equatable, Sendable {
    /// What each column is: `source`, `slot`.
    public var columns: String
    /// What each row is: `target`, `source`.
    public var rows: String

    public init(columns: String, rows: String) {
        self.columns = columns
        self.rows = rows
    }

    /// Source tokens along the top, target tokens down the side.
    public static let attention = HeatmapAxes(columns: "source", rows: "target")

    var columnCaption: String { columns + " →" }
    var rowCaption: String { rows + " ↓" }
}
