/// BinXML value types (MS-EVEN6 2.2.18); `array` is OR-ed onto a base type.
enum ValueType {
    static let null: UInt8 = 0x00
    static let string: UInt8 = 0x01
    static let ansiString: UInt8 = 0x02
    static let int8: UInt8 = 0x03
    static let uint8: UInt8 = 0x04
    static let int16: UInt8 = 0x05
    static let uint16: UInt8 = 0x06
    static let int32: UInt8 = 0x07
    static let uint32: UInt8 = 0x08
    static let int64: UInt8 = 0x09
    static let uint64: UInt8 = 0x0A
    static let real32: UInt8 = 0x0B
    static let real64: UInt8 = 0x0C
    static let bool: UInt8 = 0x0D
    static let binary: UInt8 = 0x0E
    static let guid: UInt8 = 0x0F
    static let sizeT: UInt8 = 0x10
    static let filetime: UInt8 = 0x11
    static let systemtime: UInt8 = 0x12
    static let sid: UInt8 = 0x13
    static let hexInt32: UInt8 = 0x14
    static let hexInt64: UInt8 = 0x15
    static let evtHandle: UInt8 = 0x20
    static let binXML: UInt8 = 0x21
    static let evtXML: UInt8 = 0x23
    static let array: UInt8 = 0x80

    /// The fixed width of a scalar type, or 0 for variable-size types.
    @inline(__always)
    static func width(_ t: UInt8) -> Int {
        switch t {
        case int8, uint8: return 1
        case int16, uint16: return 2
        case int32, uint32, real32, bool, hexInt32: return 4
        case int64, uint64, real64, filetime, hexInt64: return 8
        case guid, systemtime: return 16
        default: return 0
        }
    }

    /// True for the types MS-EVEN6 defines (scalars, arrays of scalars, handles and nested BinXML).
    static func isKnown(_ t: UInt8) -> Bool {
        if t <= hexInt64 || t == evtHandle || t == binXML || t == evtXML { return true }
        if t & array != 0 {
            let base = t & 0x7F
            return base >= string && base <= hexInt64
        }
        return false
    }

    /// Types the `evtx` crate writes as bare JSON numbers or booleans.
    @inline(__always)
    static func isJSONNumber(_ t: UInt8) -> Bool { (t >= int8 && t <= uint64) || t == bool }
}

/// One child of an element, or one piece of an attribute value, in a decoded BinXML tree.
///
/// Values are not copied out of the chunk: `a` is the chunk offset of the value bytes and `b` their size,
/// so a record is rendered straight from the chunk.
struct Node {
    enum Kind: UInt8 {
        /// `a` is the element index.
        case element
        /// A typed value (`type`), `a` = chunk offset, `b` = size in bytes. Strings are UTF-16LE.
        case value
        /// A substitution in a template definition: `a` = index, `type`, `optional`.
        case placeholder
        /// An entity reference; `a` is the name id.
        case entity
        /// A character reference; `a` is the code point.
        case charRef
        /// A decoded ANSI string: `a` = offset in the tree's `extra` bytes (UTF-8), `b` = length.
        case ansi
    }

    var kind: Kind
    var type: UInt8
    var optional: Bool
    /// A value copied from a template instance's substitution array (not template text).
    var substituted = false
    var a: Int32
    var b: Int32

    @inline(__always)
    init(_ kind: Kind, type: UInt8 = 0, optional: Bool = false, a: Int32 = 0, b: Int32 = 0) {
        self.kind = kind
        self.type = type
        self.optional = optional
        self.a = a
        self.b = b
    }

    static let null = Node(.value, type: ValueType.null)

    /// Strings and ANSI strings: the `evtx` crate treats these as text nodes.
    @inline(__always) var isText: Bool {
        kind == .ansi || (kind == .value && type == ValueType.string)
    }
}

struct Element {
    var name: Int32
    var attrStart: Int32
    var attrCount: Int32
    var childStart: Int32
    var childCount: Int32
}

struct Attribute {
    var name: Int32
    var valueStart: Int32
    var valueCount: Int32
}

/// A decoded BinXML tree: flat arrays indexed by `Int32`, reused from record to record.
struct Tree {
    var elements: [Element] = []
    var attributes: [Attribute] = []
    var nodes: [Node] = []
    var extra: [UInt8] = []

    mutating func removeAll() {
        elements.removeAll(keepingCapacity: true)
        attributes.removeAll(keepingCapacity: true)
        nodes.removeAll(keepingCapacity: true)
        extra.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    func children(of e: Int32) -> Range<Int> {
        let el = elements[Int(e)]
        return Int(el.childStart)..<Int(el.childStart + el.childCount)
    }

    @inline(__always)
    func attributeRange(of e: Int32) -> Range<Int> {
        let el = elements[Int(e)]
        return Int(el.attrStart)..<Int(el.attrStart + el.attrCount)
    }

    @inline(__always)
    func values(of a: Int) -> Range<Int> {
        let at = attributes[a]
        return Int(at.valueStart)..<Int(at.valueStart + at.valueCount)
    }
}

/// A parsed template definition, cached per chunk by its offset.
final class Template {
    let tree: Tree
    let root: Int32
    /// The definition itself contains array values (not only placeholders).
    let holdsArrays: Bool
    /// Chunk offset of the definition's BinXML in the chunk where it was parsed (value offsets are relative
    /// to that chunk).
    let dataStart: Int
    /// Names referenced from outside the definition's bytes, with the ids they had.
    let externalNames: [(offset: UInt32, id: Int32)]
    /// Compiled JSON shapes of its instances, by the hash of their substitution signature (see
    /// ``TemplateShape``).
    var shapes: [UInt64: TemplateShape] = [:]
    /// Compiled field layouts of its instances, by the same hash (see ``RecordLayout``).
    var layouts: [UInt64: RecordLayout] = [:]
    /// The layout found last (unretained: ``layouts`` holds it), and its hash.
    var lastLayout: Unmanaged<RecordLayout>? = nil
    var lastLayoutHash: UInt64 = 0
    /// Identifies the template in shape signatures (unique per decoder).
    var serial: UInt32 = 0

    init(tree: Tree, root: Int32, dataStart: Int, externalNames: [(offset: UInt32, id: Int32)]) {
        self.tree = tree
        self.root = root
        self.dataStart = dataStart
        self.externalNames = externalNames
        self.holdsArrays = tree.nodes.contains { $0.kind == .value && $0.type & ValueType.array != 0 }
    }
}

/// A template definition's identity across chunks.
struct TemplateKey: Hashable {
    var guidLow: UInt64
    var guidHigh: UInt64
    var size: UInt32
    var crc: UInt32
}
