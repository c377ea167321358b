package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/nextbest/nextbest/infra/catalogcheck"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
)

// The catalog's edit cycle, as `nextbest catalog` runs it: a draft is validated with
// the same checks (package catalogcheck) and compared with the live version; only a
// draft that passes can be published, and only over the version the operator reviewed
// the difference from. Rollbacks show the difference first too. These three forms are
// the console's only writes (see guardForms).

// MaxDraftBytes bounds a draft catalog sent to the console.
const MaxDraftBytes = 1 << 20

// draftView is the draft page: the text being edited and, once checked, what the
// checks found and what publishing it would change.
type draftView struct {
	Token  string
	Live   string // the live version, "" when none is published
	Source string
	From   string // the version the draft started from, "" for a new text
	// AllowUnreachable reports unreachable actions as warnings, not errors, as
	// `nextbest catalog publish --allow-unreachable` does.
	AllowUnreachable bool
	Checked          bool
	Report           *catalogcheck.Report
	Compare          *catalogcheck.Comparison
	// Identical: the draft is the live version's text, so there is nothing to publish.
	Identical bool
	// Problem is said above everything else: a conflict, an unreadable upload.
	Problem   string
	CheckTime string
}

// Publishable reports whether the page offers to publish the draft.
func (v draftView) Publishable() bool {
	return v.Checked && v.Report != nil && v.Report.OK() && v.Compare != nil && !v.Identical
}

// versionsView is the versions page.
type versionsView struct {
	Token    string
	Versions []dynamo.CatalogVersion // newest first
	Done     string                  // what the last form did
}

// rollbackView is the page that reviews a rollback before it is made.
type rollbackView struct {
	Token, Live, Version string
	Compare              *catalogcheck.Comparison
	CompileErrors        []string
	AlreadyLive          bool
}

// liveSource returns the live version and its text, or "" and nil when nothing is
// published.
func (s *server) liveSource(ctx context.Context) (string, []byte, error) {
	version, err := s.o.Store.LiveCatalogVersion(ctx)
	if decision.ErrorCode(err) == decision.ENotFound {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("read the live catalog version: %w", err)
	}
	src, err := s.o.Store.CatalogSource(ctx, version)
	if err != nil {
		return "", nil, fmt.Errorf("read live catalog version %s: %w", version, err)
	}
	return version, src, nil
}

// draftForm shows a draft to edit: the live version's text, or ?from=VERSION's.
func (s *server) draftForm(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	live, src, err := s.liveSource(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	v := draftView{Token: s.formToken, Live: live, Source: string(src), From: live}
	if from := strings.TrimSpace(r.URL.Query().Get("from")); from != "" && from != live {
		old, err := s.o.Store.CatalogSource(r.Context(), from)
		if err != nil {
			s.failCode(w, r, err)
			return
		}
		v.Source, v.From = string(old), from
	}
	s.render(w, r, "draft", "Catalog draft", start, live, v)
}

// checkDraft validates a draft and compares it with the live version.
func (s *server) checkDraft(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	src, err := draftSource(r)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	v, err := s.review(r.Context(), src, r.PostFormValue("from"), allowUnreachable(r))
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	s.render(w, r, "draft", "Catalog draft", start, v.Live, v)
}

// allowUnreachable reads the form's "allow unreachable actions" box.
func allowUnreachable(r *http.Request) bool { return r.PostFormValue("allowUnreachable") == "on" }

// draftSource is the uploaded file when one was chosen, else the text area.
func draftSource(r *http.Request) (string, error) {
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, MaxDraftBytes+1))
		if err != nil {
			return "", fmt.Errorf("read the uploaded file: %w", err)
		}
		if len(b) > 0 {
			if len(b) > MaxDraftBytes {
				return "", fmt.Errorf("the uploaded file is over %d bytes", MaxDraftBytes)
			}
			return string(b), nil
		}
	}
	src := formSource(r)
	if strings.TrimSpace(src) == "" {
		return "", errors.New("the draft is empty: paste a catalog or choose a file")
	}
	return src, nil
}

// formSource is the catalog text a form sent. Browsers send a text area's lines with
// CRLF; the catalog is stored as written by editors, with LF.
func formSource(r *http.Request) string {
	return strings.ReplaceAll(r.PostFormValue("source"), "\r\n", "\n")
}

// review runs the checks `nextbest catalog publish` runs, at the console's clock.
func (s *server) review(ctx context.Context, src, from string, allowUnreachable bool) (draftView, error) {
	began := time.Now()
	live, liveSrc, err := s.liveSource(ctx)
	if err != nil {
		return draftView{}, err
	}
	opt := catalogcheck.Defaults(s.o.Now())
	opt.AllowUnreachable = allowUnreachable
	v := draftView{Token: s.formToken, Live: live, Source: src, From: from, AllowUnreachable: allowUnreachable, Checked: true,
		Report: catalogcheck.Validate("draft", []byte(src), opt)}
	if v.Report.Catalog != nil {
		liveName := "live version " + live
		cmp, err := catalogcheck.Compare(liveName, liveSrc, "draft", []byte(src))
		if err != nil {
			return draftView{}, err
		}
		v.Compare = &cmp
		v.Identical = liveSrc != nil && string(liveSrc) == src
	}
	v.CheckTime = time.Since(began).Round(time.Millisecond).String()
	return v, nil
}

// publishDraft publishes a reviewed draft over the version it was reviewed against,
// after checking it again: the form's text is the caller's, not a trusted copy.
func (s *server) publishDraft(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	src, over := formSource(r), r.PostFormValue("over")
	v, err := s.review(r.Context(), src, r.PostFormValue("from"), allowUnreachable(r))
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	status := http.StatusOK
	switch {
	case !v.Report.OK():
		v.Problem = "The draft does not pass the checks: nothing was published."
		status = http.StatusUnprocessableEntity
	case v.Identical:
		v.Problem = "The draft is the live version's text: nothing to publish."
	default:
		version, err := s.o.Store.PublishCatalogFrom(r.Context(), over, []byte(src), s.o.Now())
		if decision.ErrorCode(err) == decision.EConflict {
			v.Problem = fmt.Sprintf("The live catalog changed since you reviewed the difference (it was %s, it is %s now): nothing was published. Review the difference below and publish again.",
				versionName(over), versionName(v.Live))
			status = http.StatusConflict
			break
		}
		if err != nil {
			s.fail(w, r, http.StatusBadGateway, fmt.Errorf("publish the draft: %w", err))
			return
		}
		s.log.Info("console: catalog published", "version", version, "previous", over)
		http.Redirect(w, r, "/catalog/versions?published="+version, http.StatusSeeOther)
		return
	}
	s.renderStatus(w, r, status, "draft", "Catalog draft", start, v.Live, v)
}

func versionName(v string) string {
	if v == "" {
		return "nothing published"
	}
	return "version " + v
}

// versions lists the published versions, newest first, each with a rollback link.
func (s *server) versions(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	vs, err := s.o.Store.ListCatalogVersions(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	v := versionsView{Token: s.formToken}
	live := ""
	for i := len(vs) - 1; i >= 0; i-- {
		v.Versions = append(v.Versions, vs[i])
		if vs[i].Live {
			live = vs[i].Version
		}
	}
	q := r.URL.Query()
	switch {
	case q.Get("published") != "":
		v.Done = fmt.Sprintf("Version %s is published and live; %s.", q.Get("published"), catalogcheck.Freshness())
	case q.Get("rolledback") != "":
		v.Done = fmt.Sprintf("Version %s is live again (it was version %s); %s.", q.Get("rolledback"), q.Get("from"), catalogcheck.Freshness())
	}
	s.render(w, r, "versions", "Catalog versions", start, live, v)
}

// reviewRollback shows what making ?version= live again would change.
func (s *server) reviewRollback(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	v, err := s.rollbackReview(r.Context(), r.URL.Query().Get("version"))
	if err != nil {
		s.failCode(w, r, err)
		return
	}
	s.render(w, r, "rollback", "Roll back the catalog", start, v.Live, v)
}

func (s *server) rollbackReview(ctx context.Context, version string) (rollbackView, error) {
	version = strings.TrimSpace(version)
	live, liveSrc, err := s.liveSource(ctx)
	if err != nil {
		return rollbackView{}, err
	}
	if liveSrc == nil {
		return rollbackView{}, decision.Errorf(decision.ENotFound, "no catalog has been published: there is nothing to roll back")
	}
	target, err := s.o.Store.CatalogSource(ctx, version)
	if err != nil {
		return rollbackView{}, err
	}
	v := rollbackView{Token: s.formToken, Live: live, Version: strings.TrimLeft(version, "0"), AlreadyLive: strings.TrimLeft(version, "0") == live}
	name := "version " + v.Version
	// The functions compile the live catalog with their own code: a version written
	// for an older catalog format must not become live.
	if _, err := decision.ParseCatalog(name, target); err != nil {
		v.CompileErrors = catalogcheck.CompileErrors(name, err)
	}
	cmp, err := catalogcheck.Compare("live version "+live, liveSrc, name, target)
	if err != nil {
		return rollbackView{}, err
	}
	v.Compare = &cmp
	return v, nil
}

// rollback makes a reviewed version live again, provided the live version is still
// the one the review compared it with.
func (s *server) rollback(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	version, over := r.PostFormValue("version"), r.PostFormValue("over")
	v, err := s.rollbackReview(r.Context(), version)
	if err != nil {
		s.failCode(w, r, err)
		return
	}
	if len(v.CompileErrors) > 0 || v.AlreadyLive {
		s.renderStatus(w, r, http.StatusUnprocessableEntity, "rollback", "Roll back the catalog", start, v.Live, v)
		return
	}
	err = s.o.Store.RollbackCatalogFrom(r.Context(), over, v.Version, s.o.Now())
	if decision.ErrorCode(err) == decision.EConflict {
		s.fail(w, r, http.StatusConflict, fmt.Errorf("the live catalog changed since you reviewed the rollback (it was %s, it is %s now): nothing was changed; review it again",
			versionName(over), versionName(v.Live)))
		return
	}
	if err != nil {
		s.failCode(w, r, err)
		return
	}
	s.log.Info("console: catalog rolled back", "version", v.Version, "previous", over)
	http.Redirect(w, r, fmt.Sprintf("/catalog/versions?rolledback=%s&from=%s", v.Version, over), http.StatusSeeOther)
}

// failCode answers an error page with the status its decision code calls for.
func (s *server) failCode(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadGateway
	switch decision.ErrorCode(err) {
	case decision.ENotFound:
		status = http.StatusNotFound
	case decision.EInvalid:
		status = http.StatusBadRequest
	case decision.EConflict:
		status = http.StatusConflict
	}
	if status < 500 {
		err = errors.New(decision.ErrorMessage(err))
	}
	s.fail(w, r, status, err)
}
