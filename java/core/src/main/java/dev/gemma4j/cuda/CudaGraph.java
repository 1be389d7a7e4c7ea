package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cuda_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A sequence of launches captured once from the context's stream and replayed with one
 * {@code cuGraphLaunch}: the kernels and GEMMs of a decode step, with their arguments as they were
 * at capture (device addresses fixed for the backend's life; the per-step values live in device
 * memory the step uploads before the replay).
 */
final class CudaGraph implements AutoCloseable {
    /** Queues the work to capture on the context's stream. */
    @FunctionalInterface
    interface Work {
        void enqueue();
    }

    private final CudaContext ctx;
    private final String what;
    private MemorySegment graph;
    private MemorySegment exec;

    private CudaGraph(CudaContext ctx, String what, MemorySegment graph, MemorySegment exec) {
        this.ctx = ctx;
        this.what = what;
        this.graph = graph;
        this.exec = exec;
    }

    /**
     * Captures {@code work} (thread-local capture mode: only this thread's calls join the graph),
     * instantiates it and queues its upload to the device on the context's stream. Nothing runs.
     * When {@code work} fails, the capture is ended and discarded and the stream is usable again.
     */
    static CudaGraph capture(CudaContext ctx, String what, Work work) {
        MemorySegment stream = ctx.stream();
        CudaCheck.driver(cuda_h.cuStreamBeginCapture_v2(stream, cuda_h.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL()),
                "cuStreamBeginCapture_v2", () -> "capturing " + what);
        MemorySegment graph;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            try {
                work.enqueue();
            } catch (RuntimeException | Error e) {
                int rc = cuda_h.cuStreamEndCapture(stream, out);
                if (rc == cuda_h.CUDA_SUCCESS() && !out.get(ValueLayout.ADDRESS, 0).equals(MemorySegment.NULL)) {
                    cuda_h.cuGraphDestroy(out.get(ValueLayout.ADDRESS, 0));
                }
                throw e;
            }
            CudaCheck.driver(cuda_h.cuStreamEndCapture(stream, out), "cuStreamEndCapture", () -> "capturing " + what);
            graph = out.get(ValueLayout.ADDRESS, 0);
            int rc = cuda_h.cuGraphInstantiateWithFlags(out, graph, 0L);
            if (rc != cuda_h.CUDA_SUCCESS()) {
                cuda_h.cuGraphDestroy(graph);
                CudaCheck.driver(rc, "cuGraphInstantiateWithFlags", () -> "instantiating " + what);
            }
            MemorySegment exec = out.get(ValueLayout.ADDRESS, 0);
            // Without an upload the first cuGraphLaunch copies the graph's nodes to the device itself,
            // and the first replayed step pays for it.
            rc = cuda_h.cuGraphUpload(exec, stream);
            if (rc != cuda_h.CUDA_SUCCESS()) {
                cuda_h.cuGraphExecDestroy(exec);
                cuda_h.cuGraphDestroy(graph);
                CudaCheck.driver(rc, "cuGraphUpload", () -> "uploading " + what);
            }
            return new CudaGraph(ctx, what, graph, exec);
        }
    }

    /** Queues one replay on the context's stream. */
    void launch() {
        if (exec == null) throw new IllegalStateException("the CUDA graph of " + what + " has been destroyed");
        CudaCheck.driver(cuda_h.cuGraphLaunch(exec, ctx.stream()), "cuGraphLaunch", () -> "replaying " + what);
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        if (exec != null) {
            MemorySegment e = exec;
            failure = CudaContext.attempt(failure, () -> CudaCheck.driver(cuda_h.cuGraphExecDestroy(e), "cuGraphExecDestroy"));
            exec = null;
        }
        if (graph != null) {
            MemorySegment g = graph;
            failure = CudaContext.attempt(failure, () -> CudaCheck.driver(cuda_h.cuGraphDestroy(g), "cuGraphDestroy"));
            graph = null;
        }
        if (failure != null) throw failure;
    }

    @Override
    public String toString() {
        return "CUDA graph of " + what;
    }
}
