/// A compiled `LIKE` operand: `%` matches any run of characters, `_` exactly one (Unicode scalar).
public struct LikePattern: Sendable {
    enum Piece: Sendable, Equatable {
        case literal(Unicode.Scalar)
        case one
        case any
    }
    let pieces: [Piece]

    /// Compiles a `LIKE` operand: `%` any run of characters, `_` exactly one.
    public init(_ text: String) {
        pieces = text.unicodeScalars.map { s in
            s == "%" ? .any : s == "_" ? .one : .literal(s)
        }
    }

    /// Whole-string match in constant space and O(n·m) worst-case time (greedy with one backtrack point).
    public func matches(_ s: String) -> Bool {
        let subject = s.unicodeScalars
        var i = subject.startIndex
        var p = 0
        var starP = -1
        var starI = subject.startIndex
        while i != subject.endIndex {
            if p < pieces.count {
                switch pieces[p] {
                case .any:
                    starP = p
                    starI = i
                    p += 1
                    continue
                case .one:
                    p += 1
                    subject.formIndex(after: &i)
                    continue
                case .literal(let c):
                    if c == subject[i] {
                        p += 1
                        subject.formIndex(after: &i)
                        continue
                    }
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            subject.formIndex(after: &starI)
            i = starI
        }
        while p < pieces.count, pieces[p] == .any { p += 1 }
        return p == pieces.count
    }
}
