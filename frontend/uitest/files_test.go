package uitest

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// bombPNGBase64 is a PNG of a few dozen bytes whose header declares a
// 60000×60000 picture (14 GB decoded).
func bombPNGBase64() string {
	chunk := func(typ string, data []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		out = append(append(out, typ...), data...)
		return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 60000), 60000)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	return base64.StdEncoding.EncodeToString(append(out, chunk("IEND", nil)...))
}

// pressKey sends a key press to the page as a keyboard does.
func (b *browser) pressKey(key, code string, vk int64) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	ev := input.DispatchKeyEventParams{Key: key, Code: code, WindowsVirtualKeyCode: vk, NativeVirtualKeyCode: vk}
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		ev.Type = typ
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, ev); err != nil {
			b.t.Fatalf("%s: pressing %s: %v", b.name, key, err)
		}
	}
}

// keepScreenshot keeps the page as an artifact; with
// PARLEY_UI_DOCS_SCREENSHOTS=docs it also writes docs/<name> for docs/ui.md.
func (b *browser) keepScreenshot(name string) {
	b.t.Helper()
	png := b.screenshot()
	writeArtifact(b.t, name, png)
	if dir := os.Getenv("PARLEY_UI_DOCS_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

// TestFilesPasteDropAndThumbnails: a screenshot pasted into the composer
// uploads with progress and shows in the thread as the server's
// thumbnail, which opens a viewer that Escape closes; files dropped on
// the composer upload too, a text file becomes a card with its type and
// size, and a bomb image is refused with a clear message beside its name.
func TestFilesPasteDropAndThumbnails(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	api := srv.api(t, "messenger@demo.example")
	topic := api.topic("Tax cards 2025")
	mira := newBrowser(t, srv, "mira-files", withSize(1280, 800))
	mira.login("messenger@demo.example")
	mira.route(fmt.Sprintf("#/topic/%d", topic.ID))
	mira.waitOnline()
	mira.waitJS("composer", `document.querySelector('.composer.drop-zone')`)
	stamp := fmt.Sprint(time.Now().UnixNano())

	// Paste: an 800×600 picture drawn in the page, as a screenshot on the
	// clipboard would arrive.
	mira.waitJS("pasted", fmt.Sprintf(`(async () => {
		const c = document.createElement('canvas'); c.width = 800; c.height = 600;
		const g = c.getContext('2d'); g.fillStyle = '#c00'; g.fillRect(0, 0, 800, 600); g.fillStyle = '#00c'; g.fillRect(400, 0, 400, 600);
		const blob = await new Promise((r) => c.toBlob(r, 'image/png'));
		const dt = new DataTransfer();
		dt.items.add(new File([blob], 'shot-%s.png', { type: 'image/png' }));
		const ev = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
		document.querySelector('#composer-input').dispatchEvent(ev);
		return ev.defaultPrevented;
	})()`, stamp))
	mira.waitJS("paste uploaded", `document.querySelector('.composer .upload.done progress')?.value === 100`)
	mira.waitJS("upload preview", `document.querySelector('.composer .upload.done img.upload-thumb')?.naturalWidth === 640`)
	mira.send("a screenshot " + stamp)
	thumb := fmt.Sprintf(`[...document.querySelectorAll('#messages article.msg')].find(m => m.textContent.includes(%s))?.querySelector('.image-att img')`, jsStr("a screenshot "+stamp))
	mira.waitJS("thumbnail shown", thumb+`?.complete && `+thumb+`.naturalWidth === 640 && `+thumb+`.naturalHeight === 480`)
	if got := evalAsync[string](mira, `(async () => { const r = await fetch(`+thumb+`.src); return r.headers.get('content-type') + ' ' + r.headers.get('x-content-type-options'); })()`); got != "image/jpeg nosniff" {
		t.Fatalf("thumbnail served as %q", got)
	}

	mira.waitJS("thumbnail in view", `(() => { `+thumb+`.scrollIntoView({ block: 'end' }); return true; })()`)
	mira.keepScreenshot("files-thread.png")

	// The viewer: opens on click with the picture, Escape closes it and
	// focus returns to the thumbnail.
	mira.waitJS("viewer opened", `(() => { const i = `+thumb+`; i.closest('button').click(); const d = document.querySelector('dialog#image-viewer'); return d && d.open && d.contains(document.activeElement); })()`)
	mira.waitText("#image-viewer .viewer-caption", "800×600")
	mira.waitJS("viewer image", `document.querySelector('#image-viewer .viewer-img').naturalWidth > 0`)
	mira.keepScreenshot("files-viewer.png")
	mira.pressKey("Escape", "Escape", 27)
	mira.waitJS("viewer closed", `!document.querySelector('dialog#image-viewer') && document.activeElement === `+thumb+`.closest('button')`)

	// Drop: a text file and a bomb. The zone lights up while dragged over.
	mira.waitJS("dropped", fmt.Sprintf(`(() => {
		const zone = document.querySelector('.composer.drop-zone');
		const dt = new DataTransfer();
		dt.items.add(new File(['notes %s\n'], 'dropped-%s.txt', { type: 'text/plain' }));
		const bomb = Uint8Array.from(atob(%s), (ch) => ch.charCodeAt(0));
		dt.items.add(new File([bomb], 'bomb-%s.png', { type: 'image/png' }));
		zone.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
		const lit = zone.classList.contains('dragging');
		const ev = new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
		zone.dispatchEvent(ev);
		return lit && ev.defaultPrevented && !zone.classList.contains('dragging');
	})()`, stamp, stamp, jsStr(bombPNGBase64()), stamp))
	failed := `[...document.querySelectorAll('.composer .upload.failed')].find(u => u.textContent.includes('bomb-` + stamp + `'))`
	mira.waitJS("bomb refused", failed+`?.querySelector('[role=alert]')?.textContent.includes('too many pixels')`)
	if msg := eval[string](mira, failed+`.textContent`); !strings.Contains(msg, "50 megapixels") {
		t.Fatalf("bomb refusal says %q", msg)
	}
	// Removing the failed entry clears it from the composer.
	mira.waitJS("failed entry removed", `(() => { const f = `+failed+`; if (f) f.querySelector('button').click(); return !`+failed+`; })()`)
	mira.waitJS("text uploaded", `[...document.querySelectorAll('.composer .upload.done')].some(u => u.textContent.includes('dropped-`+stamp+`'))`)
	mira.send("dropped files " + stamp)
	card := fmt.Sprintf(`[...document.querySelectorAll('#messages article.msg')].find(m => m.textContent.includes(%s))?.querySelector('.file-card')`, jsStr("dropped files "+stamp))
	mira.waitJS("file card", card+`?.dataset.kind === 'text'`)
	if meta := eval[string](mira, card+`.querySelector('.file-meta').textContent`); meta != "Text file · 26\u00a0B" {
		t.Fatalf("card says %q", meta)
	}
	if n := eval[int](mira, fmt.Sprintf(`[...document.querySelectorAll('#messages .filename')].filter(e => e.textContent.includes('bomb-%s')).length`, stamp)); n != 0 {
		t.Fatalf("the refused bomb was posted (%d)", n)
	}
}

// TestNewMessageFormPasteAndDrop: the "Send new message" form takes files
// pasted into its body and dropped on it, like the composer, and refuses
// a type the server does not allow before sending it.
func TestNewMessageFormPasteAndDrop(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	carl := newBrowser(t, srv, "carl-files")
	carl.login("customer@demo.example")
	carl.waitOnline()
	carl.click("#new-message")
	carl.waitJS("form", `document.querySelector('form.new-conv.drop-zone #new-body')`)
	stamp := fmt.Sprint(time.Now().UnixNano())
	carl.waitJS("pasted and dropped", fmt.Sprintf(`(() => {
		const pasted = new DataTransfer();
		pasted.items.add(new File(['pasted %[1]s'], 'pasted-%[1]s.txt', { type: 'text/plain' }));
		const paste = new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, cancelable: true });
		document.querySelector('#new-body').dispatchEvent(paste);
		const dropped = new DataTransfer();
		dropped.items.add(new File(['MZ'], 'setup-%[1]s.exe', { type: 'application/octet-stream' }));
		const drop = new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true });
		document.querySelector('form.new-conv').dispatchEvent(drop);
		return paste.defaultPrevented && drop.defaultPrevented;
	})()`, stamp))
	carl.waitJS("pasted file uploaded", `[...document.querySelectorAll('form.new-conv .upload.done')].some(u => u.textContent.includes('pasted-`+stamp+`.txt'))`)
	carl.waitJS("exe refused", `[...document.querySelectorAll('form.new-conv .upload.failed')].some(u => u.textContent.includes('setup-`+stamp+`.exe') && u.querySelector('[role=alert]')?.textContent.includes('not allowed'))`)
	if v := eval[string](carl, `document.querySelector('#new-body').value`); v != "" {
		t.Fatalf("the paste put text in the body: %q", v)
	}
}
