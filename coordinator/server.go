package coordinator

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/vm"
)

// Server is a running coordinator: the HTTP API, the admission loop and
// the queries under way. Make one with New, start its background work with
// Start (or Serve/Run), and stop it with Close.
type Server struct {
	cfg     *Config
	st      *store
	key     ed25519.PrivateKey
	parties []*partyClient
	// endpoints are the parties' provider URLs, as registrations give them.
	endpoints []api.PartyEndpoint
	keys      *keyring
	ipLim     *limiter
	regLim    *limiter
	keyLim    *limiter
	log       *slog.Logger
	now       func() time.Time

	published map[string]publishedQuery // by dataset

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{} // running queries
	kick   chan struct{} // wakes the admission loop

	unbatched atomic.Int64 // tickets reported submitted since the last admission round

	mu       sync.Mutex
	waiters  map[string]chan struct{} // query id → closed when it ends
	programs map[string]*vm.Program   // decoded programs by hash
	started  bool
	closed   bool
}

// publishedQuery is a dataset's published query, resolved.
type publishedQuery struct {
	hash, paramsJSON string
	params           map[string]string
}

// Options are the parts of a Server that are not configuration.
type Options struct {
	// Logger receives the server's log (default: text to stderr).
	Logger *slog.Logger
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
}

// New opens the database (migrating it), loads the signing key, creates the
// datasets and stores the published programs of the config, and fails the
// queries an earlier run left unfinished. Nothing runs until Start.
func New(ctx context.Context, cfg *Config, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	key, err := LoadSigningKey(cfg.path(cfg.SigningKey))
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	s := &Server{
		cfg:       cfg,
		key:       key,
		keys:      newKeyring(cfg.AnalystKeys, cfg.OperatorKeys),
		ipLim:     newLimiter(cfg.RateLimit.PerIP, cfg.RateLimit.PerIPBurst),
		regLim:    newLimiter(cfg.RateLimit.Registrations, cfg.RateLimit.RegistrationsBurst),
		keyLim:    newLimiter(cfg.RateLimit.PerKey, cfg.RateLimit.PerKeyBurst),
		log:       opts.Logger,
		now:       opts.Now,
		published: map[string]publishedQuery{},
		sem:       make(chan struct{}, cfg.MaxQueries),
		kick:      make(chan struct{}, 1),
		waiters:   map[string]chan struct{}{},
		programs:  map[string]*vm.Program{},
	}
	for _, p := range cfg.Parties {
		c, err := newPartyClient(p)
		if err != nil {
			return nil, err
		}
		s.parties = append(s.parties, c)
		s.endpoints = append(s.endpoints, api.PartyEndpoint{Party: p.ID, URL: p.ProviderURL, Fingerprint: p.Fingerprint})
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.st, err = openStore(ctx, cfg.databaseURL(), cfg.SQLiteSync)
	if err != nil {
		return nil, err
	}
	if err := s.init(ctx); err != nil {
		s.st.Close()
		return nil, err
	}
	return s, nil
}

// init applies the config's datasets and published queries to the store.
func (s *Server) init(ctx context.Context) error {
	now := s.now()
	if n, err := s.st.failInterrupted(ctx, now); err != nil {
		return err
	} else if n > 0 {
		s.log.Warn("failed the queries an earlier run left unfinished", "queries", n)
	}
	for _, d := range s.cfg.Datasets {
		cd := api.CreateDataset{Name: d.Name, Columns: d.Columns, NotaryKeys: d.NotaryKeys, MinRows: d.MinRows}
		err := s.st.createDataset(ctx, cd, now)
		if errors.Is(err, errExists) {
			continue
		}
		if err != nil {
			return fmt.Errorf("dataset %s: %w", d.Name, err)
		}
		s.log.Info("created dataset from the config", "dataset", d.Name)
	}
	for _, p := range s.cfg.Published {
		hash := p.ProgramHash
		if p.ProgramFile != "" {
			b, err := os.ReadFile(s.cfg.path(p.ProgramFile))
			if err != nil {
				return fmt.Errorf("published %s: %w", p.Dataset, err)
			}
			prog, err := vm.Decode(b)
			if err != nil {
				return fmt.Errorf("published %s: %s: %w", p.Dataset, p.ProgramFile, err)
			}
			h := hex.EncodeToString(prog.Hash[:])
			if hash != "" && hash != h {
				return fmt.Errorf("published %s: %s has hash %s, not program_hash %s", p.Dataset, p.ProgramFile, h, hash)
			}
			hash = h
			if _, err := s.st.putProgram(ctx, hash, b, now); err != nil {
				return err
			}
		}
		pj, _ := json.Marshal(p.Params)
		s.published[p.Dataset] = publishedQuery{hash: hash, params: p.Params, paramsJSON: string(pj)}
	}
	return nil
}

// PublicKey is the coordinator's Ed25519 public key in hex.
func (s *Server) PublicKey() string { return PublicKeyHex(s.key) }

// Start runs the admission loop (which also re-runs published queries).
func (s *Server) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return
	}
	s.started = true
	s.wg.Go(s.admissionLoop)
}

// Close stops the background work, waits for it and closes the database.
// Queries under way are failed as interrupted.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return s.st.Close()
}

// Serve serves the API on ln until ctx is done, then shuts down gracefully
// and closes the server.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.Start()
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.path(s.cfg.TLSCert), s.cfg.path(s.cfg.TLSKey))
		if err != nil {
			s.Close()
			return fmt.Errorf("tls: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}})
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		hs.Shutdown(sctx)
		cancel()
		<-errc
	case err = <-errc:
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Run listens on the configured address and serves until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		s.Close()
		return err
	}
	scheme := "http"
	if s.cfg.TLSCert != "" {
		scheme = "https"
	} else if host, _, _ := net.SplitHostPort(s.cfg.Listen); !isLoopback(host) {
		s.log.Warn("serving plain HTTP on a non-loopback address: API keys cross the network in clear; set tls_cert and tls_key or put a TLS proxy in front")
	}
	s.log.Info("coordinator listening", "url", scheme+"://"+ln.Addr().String(), "public_key", s.PublicKey())
	return s.Serve(ctx, ln)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newID is a random id with a prefix: "q-" queries, "a-" admissions, "t-"
// tickets.
func newID(prefix string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

// wake asks the admission loop to run now.
func (s *Server) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}
