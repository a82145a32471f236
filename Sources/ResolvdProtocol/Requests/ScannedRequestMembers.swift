/// The members of a request line as ``RequestLineScanner`` found them: each value made
/// into a ``JSONValue`` only when the decoder asks for it, from the line's bytes.
///
/// It borrows the line's bytes and the scanner's slots, so it lives only inside
/// ``RequestLineScanner/withMembers(of:_:)``.
/// It has no unknown keys (the scanner leaves such lines to the generic path).
struct ScannedRequestMembers: RequestMembers {
    let base: UnsafePointer<UInt8>
    let parameters: UInt32
    /// By ``Parameter/index``; set for the parameters in `parameters` only.
    let slots: UnsafePointer<RequestLineScanner.Slot>

    var hasUnknownKey: Bool { false }

    func value(of parameter: Parameter) -> JSONValue {
        let slot = slots[parameter.index]
        switch slot.kind {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .integer: return .integer(Int64(slot.start))
        case .string: return .string(string(from: slot.start, to: slot.end))
        case .stringArray: return .array(strings(from: slot.start, to: slot.end))
        }
    }

    /// The scanner reports no key order; the name of the lowest unread parameter serves
    /// (the scanned path answers no errors: the generic path reads the line again).
    func firstKey(notIn used: UInt32) -> String? {
        let unread = parameters & ~used
        return Parameter.allCases.first { unread & $0.bit != 0 }?.rawValue
    }

    /// Matched as bytes: no `String` is made of the wire text.
    func enumCase<Case: WireNamed>(of parameter: Parameter, as: Case.Type) -> Case?? {
        let slot = slots[parameter.index]
        guard slot.kind == .string else { return nil }
        return .some(Case.wireNameTable.value(named: UnsafeRawBufferPointer(start: base + slot.start, count: slot.end - slot.start)))
    }

    private func string(from start: Int, to end: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self)
    }

    /// The strings of an array the scanner read, between its brackets: quoted ASCII
    /// without escapes, separated by commas and whitespace.
    private func strings(from start: Int, to end: Int) -> [JSONValue] {
        var elements: [JSONValue] = []
        var position = start
        while position < end {
            guard base[position] == UInt8(ascii: "\"") else {
                position += 1  // whitespace or a comma
                continue
            }
            let text = position + 1
            position = text
            while base[position] != UInt8(ascii: "\"") { position += 1 }
            elements.append(.string(string(from: text, to: position)))
            position += 1
        }
        return elements
    }
}
