package dev.gemma4j.cuda;

import dev.gemma4j.cuda.bindings.cuda_h;
import dev.gemma4j.model.DType;
import dev.gemma4j.model.ModelFormatException;
import dev.gemma4j.model.Tensor;
import dev.gemma4j.model.WeightSource;
import dev.gemma4j.synthetic.SyntheticWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Puts every weight on the device once, as fp16, at the place {@link WeightLayout} gives it.
 *
 * <p>Checkpoint weights stream from the memory-mapped files through one pinned host buffer of at
 * most {@link MemoryPlan#LOAD_STAGING_BYTES}, used as two halves: while the device copies one half,
 * the host fills the other (an event per half says when its copy is done), so host memory stays
 * bounded whatever the model's size. Tensors already in the compute type ({@link Compute}: fp16 by
 * default, bf16 with {@code --compute bf16}) are copied as they are; the others are copied to a device
 * scratch buffer of the same size and converted there, counting per tensor the values the compute
 * type cannot hold (saturated to its largest value: ±65504 for fp16, ±3.39e38 for bf16) and the NaNs.
 *
 * <p>Synthetic weights are not uploaded: a kernel computes {@link SyntheticWeights#value} for every
 * element on the device.
 */
@SuppressWarnings("restricted")
final class WeightUploader {
    private WeightUploader() {}

    /** Device bytes of the conversion counters: two uint64 per tensor. */
    static long counterBytes(WeightLayout layout) {
        return 16L * layout.placements().size();
    }

    /** Bytes of the staging buffer and of the device scratch: the plan's staging size, or the largest tensor at fp32. */
    static long stagingBytes(WeightLayout layout) {
        long largest = 0;
        for (WeightLayout.Placement p : layout.placements()) largest = Math.max(largest, p.elements());
        return Math.min(MemoryPlan.LOAD_STAGING_BYTES, Bytes.alignUp(4 * largest, 2 * WeightLayout.ALIGNMENT));
    }

    /**
     * Checks that {@code source} holds exactly the tensors of the layout with their shapes, before
     * anything is allocated.
     *
     * @throws ModelFormatException naming the tensor, the expected and the found shape
     */
    static void validate(WeightSource source, WeightLayout layout) {
        Map<String, Tensor> tensors = source.tensors();
        for (WeightLayout.Placement p : layout.placements()) {
            Tensor t = tensors.get(p.name());
            if (t == null) {
                throw new ModelFormatException("tensor '" + p.name() + "' is missing from the weights; expected "
                        + Arrays.toString(p.shape()));
            }
            if (!Arrays.equals(t.shape(), p.shape())) {
                throw new ModelFormatException("tensor '" + p.name() + "' has shape " + Arrays.toString(t.shape())
                        + ", expected " + Arrays.toString(p.shape()) + " from config.json");
            }
        }
        if (tensors.size() != layout.placements().size()) {
            List<String> extra = tensors.keySet().stream().filter(n -> {
                try {
                    layout.placement(n);
                    return false;
                } catch (IllegalArgumentException e) {
                    return true;
                }
            }).toList();
            throw new ModelFormatException("the weights hold tensors that Gemma does not have: " + extra);
        }
    }

    /**
     * Uploads every tensor of {@code source} into the weights buffer at {@code weights}.
     *
     * @return the tensors with values fp16 cannot hold (empty when every value fit)
     */
    static List<CudaBackend.Fp16Overflow> upload(CudaContext ctx, DeviceMemory memory, WeightSource source, WeightLayout layout,
                                     long weights, Compute compute, LoadListener listener) {
        DType stored = compute == Compute.BF16 ? DType.BF16 : DType.F16;
        validate(source, layout);
        Map<String, Tensor> tensors = source.tensors();
        long total = 0;
        boolean converts = false;
        for (WeightLayout.Placement p : layout.placements()) {
            Tensor t = tensors.get(p.name());
            total += t.data().byteSize();
            converts |= t.dtype() != stored;
        }
        long staging = stagingBytes(layout);
        long half = staging / 2;
        int tensorCount = layout.placements().size();
        MemorySegment pinned = null;
        MemorySegment[] events = new MemorySegment[2];
        DeviceBuffer scratch = null;
        DeviceBuffer counters = null;
        RuntimeException failure = null;
        List<CudaBackend.Fp16Overflow> overflows = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pointer = arena.allocate(ValueLayout.ADDRESS);
            CudaCheck.driver(cuda_h.cuMemAllocHost_v2(pointer, staging), "cuMemAllocHost_v2",
                    () -> "allocating the " + Bytes.format(staging) + " pinned staging buffer for the weights");
            pinned = pointer.get(ValueLayout.ADDRESS, 0).reinterpret(staging);
            for (int h = 0; h < 2; h++) {
                CudaCheck.driver(cuda_h.cuEventCreate(pointer, cuda_h.CU_EVENT_DISABLE_TIMING()), "cuEventCreate");
                events[h] = pointer.get(ValueLayout.ADDRESS, 0);
            }
            if (converts) {
                scratch = memory.allocate("weight conversion scratch", staging);
                counters = memory.allocate("fp16 overflow counters", counterBytes(layout));
                ctx.zero(counters.address(), counters.bytes(), "the fp16 overflow counters");
            }
            boolean[] pending = new boolean[2];
            long chunkIndex = 0;
            long done = 0;
            for (WeightLayout.Placement p : layout.placements()) {
                Tensor t = tensors.get(p.name());
                DType dtype = t.dtype();
                long chunk = half / dtype.bytes();
                long destination = weights + p.offset();
                for (long e = 0; e < p.elements(); e += chunk) {
                    long count = Math.min(chunk, p.elements() - e);
                    long bytes = count * dtype.bytes();
                    int h = (int) (chunkIndex++ & 1);
                    if (pending[h]) {
                        CudaCheck.driver(cuda_h.cuEventSynchronize(events[h]), "cuEventSynchronize",
                                () -> "waiting for a staging copy before uploading " + p.name());
                    }
                    MemorySegment stage = pinned.asSlice(h * half, bytes);
                    MemorySegment.copy(t.data(), e * dtype.bytes(), stage, 0, bytes);
                    if (dtype == stored) {
                        ctx.copyToDevice(destination + 2 * e, stage, bytes, p.name());
                    } else {
                        long scratchHalf = scratch.address(h * half, bytes);
                        ctx.copyToDevice(scratchHalf, stage, bytes, p.name() + " (" + dtype + ")");
                        long counter = counters.address(16L * p.tensorIndex(), 16);
                        ctx.launch(Kernels.convert(dtype, stored, scratchHalf, destination + 2 * e, count, counter,
                                counter + 8));
                    }
                    CudaCheck.driver(cuda_h.cuEventRecord(events[h], ctx.stream()), "cuEventRecord");
                    pending[h] = true;
                    done += bytes;
                    listener.uploaded(done, total);
                }
            }
            ctx.synchronize("uploading the weights");
            if (converts) {
                MemorySegment counts = arena.allocate(ValueLayout.JAVA_LONG, 2L * tensorCount);
                ctx.copyToHost(counts, counters.address(), counters.bytes(), "the fp16 overflow counters");
                for (WeightLayout.Placement p : layout.placements()) {
                    long over = counts.getAtIndex(ValueLayout.JAVA_LONG, 2L * p.tensorIndex());
                    long nan = counts.getAtIndex(ValueLayout.JAVA_LONG, 2L * p.tensorIndex() + 1);
                    if (over != 0 || nan != 0) overflows.add(new CudaBackend.Fp16Overflow(p.name(), over, nan));
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            // Copies out of the pinned buffer may still be queued: wait before freeing it.
            failure = CudaContext.attempt(failure, () -> ctx.synchronize("finishing the weight upload"));
            for (MemorySegment event : events) {
                if (event != null) failure = CudaContext.attempt(failure, () ->
                        CudaCheck.driver(cuda_h.cuEventDestroy_v2(event), "cuEventDestroy_v2"));
            }
            if (pinned != null) {
                MemorySegment p = pinned;
                failure = CudaContext.attempt(failure, () ->
                        CudaCheck.driver(cuda_h.cuMemFreeHost(p), "cuMemFreeHost"));
            }
            if (counters != null) failure = CudaContext.attempt(failure, counters::close);
            if (scratch != null) failure = CudaContext.attempt(failure, scratch::close);
        }
        if (failure != null) throw failure;
        return overflows;
    }

    /** Fills the weights buffer at {@code weights} with the synthetic model of {@code seed}, as fp16. */
    static void fillSynthetic(CudaContext ctx, WeightLayout layout, long weights, long seed, LoadListener listener) {
        long total = 0;
        for (WeightLayout.Placement p : layout.placements()) total += p.bytes();
        long done = 0;
        for (WeightLayout.Placement p : layout.placements()) {
            float amplitude = SyntheticWeights.amplitude(p.name(), p.shape(), layout.config());
            float offset = SyntheticWeights.offset(p.name());
            ctx.launch(Kernels.syntheticFill(weights + p.offset(), p.elements(), seed, p.tensorIndex(), amplitude,
                    offset));
            done += p.bytes();
            listener.uploaded(done, total);
        }
        ctx.synchronize("filling the synthetic weights");
    }
}
