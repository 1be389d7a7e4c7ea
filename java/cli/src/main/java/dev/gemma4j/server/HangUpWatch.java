package dev.gemma4j.server;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http1.Http1ConnectionListener;

/**
 * Notices a client that closes its connection while the server computes an answer it has not begun to send.
 *
 * <p>Helidon handles the requests of an HTTP/1 connection one after another on the connection's own thread and
 * reads nothing from the socket while a handler runs, so a hang-up would go unseen until the answer is written.
 * While a watch is on, a virtual thread reads the connection through Helidon's own buffered reader: the end of
 * the stream (or a reset) means the client is gone; bytes that arrive (a pipelined next request) stay in that
 * buffer for Helidon to parse, and end the watch, since a client that sends is still there.
 *
 * <p>Only one thread may read the connection, so the handler's thread must {@link #settle()} before it hands the
 * connection back to Helidon: it waits for the watcher to end, which it does when the client sends its next
 * request or closes the connection (for a keep-alive client, what Helidon's own read would have waited for).
 * The server's socket has no read timeout, so a watch never ends on a quiet but connected client.
 */
final class HangUpWatch implements Http1ConnectionListener {
    /** The connection whose request this thread handles, set as Helidon reads each request's prologue. */
    private final ThreadLocal<ConnectionContext> connection = new ThreadLocal<>();
    /** The watcher of this thread's request, until settled. */
    private final ThreadLocal<Thread> watcher = new ThreadLocal<>();

    @Override
    public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
        connection.set(ctx);
    }

    /**
     * Starts watching the connection of {@code req}, which must be handled on this thread with its body read;
     * {@code onHangUp} runs, on the watcher's thread, if the client closes the connection. Does nothing when the
     * connection is not HTTP/1 or already holds the client's next bytes.
     */
    void watch(ServerRequest req, Runnable onHangUp) {
        ConnectionContext ctx = connection.get();
        if (ctx == null || watcher.get() != null || !ctx.childSocketId().equals(req.socketId())
                || !ctx.socketId().equals(req.serverSocketId())) {
            return;
        }
        DataReader reader = ctx.dataReader();
        if (reader.available() > 0) return;
        watcher.set(Thread.ofVirtual().name("gemma4j-hang-up-watch-" + req.socketId()).start(() -> {
            try {
                reader.pullData();
            } catch (RuntimeException gone) {
                // Helidon's reader throws for the end of the stream and wraps a reset or a closed socket.
                onHangUp.run();
            }
        }));
    }

    /**
     * Waits until this thread's watch, if any, has ended, so that Helidon alone reads the connection again.
     *
     * @return false when an interrupt (the server stopping) ended the wait first: the watcher may still read, so
     *         the connection must be closed, not read again
     */
    boolean settle() {
        Thread t = watcher.get();
        if (t == null) return true;
        watcher.remove();
        try {
            t.join();
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }
}
