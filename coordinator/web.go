package coordinator

import (
	"embed"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
)

// webFS is the statistics page: plain HTML, CSS and JavaScript, no build
// step. It polls GET /v1/datasets and /v1/datasets/{name}/stats.
//
//go:embed web/index.html web/assets
var webFS embed.FS

//go:embed openapi.yaml
var openAPI []byte

// assetRE is what an asset's name may be.
var assetRE = regexp.MustCompile(`^[a-z0-9_-]+\.(js|css|svg)$`)

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) error {
	b, err := webFS.ReadFile("web/index.html")
	if err != nil {
		return err
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
	return nil
}

func (s *Server) handleAsset(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	if !assetRE.MatchString(name) {
		return errorf(http.StatusNotFound, "no asset %q", name)
	}
	b, err := webFS.ReadFile("web/assets/" + name)
	if err != nil {
		return errorf(http.StatusNotFound, "no asset %q", name)
	}
	securityHeaders(w)
	ct := mime.TypeByExtension(path.Ext(name))
	if strings.HasSuffix(name, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
	return nil
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(openAPI)
	return nil
}

// securityHeaders keeps the page to its own scripts and styles.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
