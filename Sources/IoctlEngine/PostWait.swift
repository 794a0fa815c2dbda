/// Where a request spends the host driver's post-wait when the IOP does not answer its frame:
/// the kernel's `i2o_msg_post_wait` sleeping until its timeout (docs/kernels.md §PostWait).
/// The engine calls it outside its lock, once per lock hold, with the longest wait a post of that
/// hold ran out of; other requests go on meanwhile. The simulator's waiter is its fault layer,
/// whose `ctl release` ends every wait at once (the timeout comes early).
public protocol PostWaiter: Sendable {
    /// Blocks the calling thread for `timeout`, or less when the wait is ended early.
    func waitForReply(upTo timeout: Duration)
}
