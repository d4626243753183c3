# mpcs — private statistics over three-party secure computation.
GO       ?= go
BIN      := bin
# Packages with concurrency run under the race detector in `make test`.
RACE_PKGS := ./vm/... ./runtime/... ./coordinator/...

.PHONY: all build test bench fuzz generate check demo clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

test:
	$(GO) vet ./...
	$(GO) vet -tags faultinject ./runtime/... ./cmd/mpcvm/...
	$(GO) test ./...
	$(GO) test -race $(RACE_PKGS)
	$(GO) test -tags faultinject -run 'Cheat|Malicious' ./runtime/ ./cmd/mpcvm/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Every fuzz target of the module runs for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	@for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
		pkg=$$(dirname $$f); \
		for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -d' ' -f2); do \
			echo "== $$pkg $$t"; \
			$(GO) test $$pkg -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) || exit 1; \
		done; \
	done

# Regenerate the committed generated code: the avo kernels (vm/_asm and
# runtime/_asm, modules of their own: the ring kernels and the VAES AES-CTR
# keystream kernels) and the runtime's window evaluators (runtime/gen_winfn.go).
generate:
	cd vm/_asm && $(GO) run . -out ../ring_amd64.s -stubs ../ring_amd64.go -pkg vm
	cd runtime/_asm && $(GO) run . -out ../prg_amd64.s -stubs ../prg_amd64.go -pkg runtime
	$(GO) generate ./runtime

check:
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	$(GO) mod tidy
	@git diff --exit-code go.mod go.sum || (echo "go mod tidy changed go.mod/go.sum"; exit 1)
	$(MAKE) generate
	@git diff --exit-code vm/ring_amd64.s vm/ring_amd64.go runtime/prg_amd64.s runtime/prg_amd64.go runtime/proto_winfn.go || (echo "make generate changed committed generated code"; exit 1)

# The whole system on localhost (docs/demo.md): three parties, the
# coordinator, the notary and a sample data source; 1,000 providers, the
# Devcon query, the web page; serves until Ctrl-C. PROVIDERS=N to change the
# number, DEMOFLAGS=--once to stop after the results.
PROVIDERS ?= 1000
demo: build
	$(BIN)/mpcs demo --providers $(PROVIDERS) $(DEMOFLAGS)

clean:
	rm -rf $(BIN)
