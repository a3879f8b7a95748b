/// An aligned plain-text table for terminals.
public struct TextTable: Sendable {
    public var headers: [String]
    public var rows: [[String]] = []
    /// Columns wider than this are cut with an ellipsis.
    public var maxColumnWidth: Int

    public init(_ headers: [String], maxColumnWidth: Int = 60) {
        self.headers = headers
        self.maxColumnWidth = maxColumnWidth
    }

    public mutating func add(_ row: [String]) { rows.append(row) }

    /// The table as lines joined by newlines (no trailing newline).
    public func render() -> String {
        let cells = ([headers] + rows).map { row in
            row.map { cell -> String in
                cell.count > maxColumnWidth ? String(cell.prefix(maxColumnWidth - 1)) + "…" : cell
            }
        }
        var widths = [Int](repeating: 0, count: headers.count)
        for row in cells {
            for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) }
        }
        var lines: [String] = []
        for (n, row) in cells.enumerated() {
            var line = ""
            for (i, c) in row.enumerated() where i < widths.count {
                line += i == row.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count + 2)
            }
            lines.append(line)
            if n == 0 {
                lines.append(widths.enumerated().map { String(repeating: "-", count: $0.element) }.joined(separator: "  "))
            }
        }
        return lines.joined(separator: "\n")
    }
}
