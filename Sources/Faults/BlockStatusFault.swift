import I2OFormats
import IOPModel

// The frame-level work of two fault actions: a parameter operation answered with a chosen
// BlockStatus (the operation left out of the frame, its result block put back in its place),
// and a failed IOP's status block.
extension FaultInjector {
    /// The operations of a UtilParamsGet/Set frame whose list is immediate data (as the engine
    /// builds them); nil for other frames.
    static func paramOperations(of frame: MessageFrame, iop: IOP?) -> [ParamOperation]? {
        guard frame.function == .utilParamsGet || frame.function == .utilParamsSet,
              let iop, let list = immediateList(of: frame) else { return nil }
        return iop.operationList(list.bytes, for: frame.target)?.operations
    }

    /// The immediate operation list of a params frame: its bytes and the words it spans.
    static func immediateList(of frame: MessageFrame) -> (bytes: [UInt8], firstWord: Int, wordCount: Int)? {
        let sgl = Int(frame.sglOffset.rawValue)
        // An immediate-data element: type bits 0x0C with end of buffer (flag byte 0x4C or 0xCC).
        guard sgl >= 5, frame.words.count > sgl, frame.words[sgl] >> 24 & 0x7C == 0x4C else { return nil }
        let count = Int(frame.words[sgl] & 0xFF_FFFF)
        let wordCount = (count + 3) / 4
        guard frame.words.count >= sgl + 1 + wordCount else { return nil }
        let bytes = Array(Array(frame.words[(sgl + 1)..<(sgl + 1 + wordCount)]).littleEndianBytes.prefix(count))
        return (bytes, sgl + 1, wordCount)
    }

    /// Posts `frame` with operation `index` left out, then puts a block of `status` in its
    /// place in the result list: the operation is not carried out (a set changes nothing).
    static func postWithBlockStatus(_ frame: MessageFrame, index: Int, status: BlockStatus, operation: ParamOperation,
                                    operations ops: [ParamOperation], memory: BusMemory,
                                    next: (MessageFrame) -> MessageFrame?) -> MessageFrame? {
        guard let list = immediateList(of: frame), index < ops.count else { return next(frame) }
        var kept = ops; kept.remove(at: index)
        var newList = OperationList(kept).encoded()
        let count = newList.count
        newList.padToWord()
        let listWords = (try? newList.littleEndianWords(what: "operation list")) ?? []
        var words = Array(frame.words[..<(list.firstWord - 1)])
        words.append(SGLFlags.immediate.word(count: count))
        words += listWords
        words += frame.words[(list.firstWord + list.wordCount)...]
        var modified = MessageFrame(words: words)
        modified.messageSize = WordCount(rawValue: words.count)
        // The result element is the last two words (flags|count, address).
        let resultAddress = UInt64(words[words.count - 1])
        let capacity = Int(words[words.count - 2] & 0xFF_FFFF)
        guard let reply = next(modified), reply.reqStatus == .success else { return next(frame) }
        let length = Int(reply[word: 5])
        guard let bytes = memory.read(resultAddress, count: length),
              var results = try? ResultList.decode(bytes, rowHeaders: kept.map(\.code.returnsRows)) else { return reply }
        let block = ResultBlock(status: status, errorInfo: ParamErrorInfo(operation: operation.code, group: operation.group).encoded())
        results.blocks.insert(block, at: min(index, results.blocks.count))
        let out = results.encoded()
        guard out.count <= capacity, memory.write(out, at: resultAddress) else { return reply }
        return MessageFrame.reply(to: frame, payload: [UInt32(out.count)])
    }

    /// A failed IOP's status block says FAILED: patches IopState of the block ExecStatusGet wrote.
    static func patchFailedStatus(_ frame: MessageFrame, memory: BusMemory) {
        guard frame.function == .execStatusGet, frame.words.count >= 9 else { return }
        let address = UInt64(frame.words[6]) | UInt64(frame.words[7]) << 32
        if frame.words[8] > 10 { _ = memory.write([IOPState.failed.rawValue], at: address + 10) }
    }
}
