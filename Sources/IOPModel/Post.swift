import I2OFormats

extension IOP {
    /// Posts a request frame to the IOP, which acts on it and answers.
    ///
    /// - Parameters:
    ///   - request: the inbound message frame (MessageSize words).
    ///   - memory: the host memory its SGL elements point at; the IOP reads buffers flowing
    ///     host→IOP and writes buffers flowing IOP→host.
    /// - Returns: the reply frame, or nil when the reply will come later through `outbound`
    ///   (UtilEventRegister; ExecLctNotify waiting for a change).
    public mutating func post(_ request: MessageFrame, memory: BusMemory) -> MessageFrame? {
        // Placeholder until the model is implemented: every function is unsupported.
        MessageFrame.reply(to: request, status: .errorNoDataTransfer, detail: .unsupportedFunction)
    }
}
