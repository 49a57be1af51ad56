package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// httpFetcher fetches CRLs and OCSP responses, the role of strongSwan's
// curl plugin: http, https and file URLs, redirects followed, a 10 s
// connect timeout and the request timeout the caller gives; a status of
// 400 or more is a failure.
type httpFetcher struct {
	logf func(format string, args ...any)
}

func newHTTPFetcher(logf func(format string, args ...any)) *httpFetcher {
	return &httpFetcher{logf: logf}
}

// maxFetchSize bounds what a fetch reads; CRLs of large CAs run to a few
// megabytes.
const maxFetchSize = 64 << 20

func (f *httpFetcher) Fetch(uri string, body []byte, contentType string, timeout time.Duration) ([]byte, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "file" {
		return os.ReadFile(u.Path)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("unsupported protocol %q", u.Scheme)
	}
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	method := http.MethodGet
	var rd io.Reader
	if body != nil {
		method, rd = http.MethodPost, bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, uri, rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := &http.Client{Transport: &http.Transport{
		Proxy:       http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		f.logf("libcurl request failed: %s", strings.TrimSpace(err.Error()))
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFetchSize))
	if err != nil {
		f.logf("libcurl request failed: %v", err)
		return nil, err
	}
	if resp.StatusCode >= 400 {
		return nil, fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	return data, nil
}
