/**
 * gemma4j's engine: the API in {@code dev.gemma4j} ({@code Gemma}, its options and results), the chat
 * messages and tokenizer it takes and returns, and the model configuration and format errors it reports.
 * The CPU and CUDA backends, the batching engine, the benchmark and the built-in test-model and
 * synthetic-weight generators are internal: the command line (module dev.gemma4j.cli) reaches them
 * through qualified exports; the LangChain4j adapter needs only the public API.
 */
module dev.gemma4j {
    // The CPU backend's matrix products; on the module path this resolves the incubator module, on the
    // class path the JVM needs --add-modules jdk.incubator.vector, or the CPU backend refuses saying so.
    requires jdk.incubator.vector;
    requires com.fasterxml.jackson.databind;

    exports dev.gemma4j;
    exports dev.gemma4j.model;
    exports dev.gemma4j.tokenizer;

    exports dev.gemma4j.bench to dev.gemma4j.cli;
    exports dev.gemma4j.cpu to dev.gemma4j.cli;
    exports dev.gemma4j.cuda to dev.gemma4j.cli;
    exports dev.gemma4j.engine to dev.gemma4j.cli;
    exports dev.gemma4j.io to dev.gemma4j.cli;
    exports dev.gemma4j.synthetic to dev.gemma4j.cli;
    exports dev.gemma4j.testmodels to dev.gemma4j.cli;
}
