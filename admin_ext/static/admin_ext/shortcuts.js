/* Keyboard shortcuts of the review queue and a case's page (admin_ext/admin/case_shortcuts.py).

   The keys only press what the page already has: the case page's "Previous in
   queue" / "Next in queue" links (the server decides where they lead), the
   queue's rows and checkboxes, the action form. Without this script every one
   of them still works by mouse. Loaded on the queue and case pages only
   (CaseAdmin.Media); the list of keys is admin_ext/cases/shortcuts_help.html.

   j / k      next / previous case (the case page's links; on the queue, the row)
   x          select the queue's current row
   a          the form to act on the case (on the queue: the selected cases' action)
   ?          the list of shortcuts (in place of unfold's own list on these pages)
   Ctrl/⌘ K   unfold's command palette (unfold binds it)
*/
(function () {
    "use strict";

    let currentRow = -1;

    function isTyping(target) {
        return (
            target instanceof Element &&
            target.closest(
                "input:not([type=checkbox], [type=radio], [type=button], [type=submit]), " +
                    "textarea, select, [contenteditable]:not([contenteditable=false])",
            ) !== null
        );
    }

    function helpDialog() {
        return document.getElementById("desk-shortcuts");
    }

    function toggleHelp() {
        const dialog = helpDialog();
        if (!dialog) {
            return false;
        }
        if (dialog.open) {
            dialog.close();
        } else {
            dialog.showModal();
        }
        return true;
    }

    function press(key) {
        const link = document.querySelector(`a[data-desk-key="${key}"]`);
        if (!link) {
            return false;
        }
        link.click();
        return true;
    }

    function queueRows() {
        return Array.from(document.querySelectorAll("#result_list tbody tr"));
    }

    function moveInQueue(step) {
        const rows = queueRows();
        if (rows.length === 0) {
            return false;
        }
        currentRow = currentRow < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, currentRow + step));
        rows.forEach((row, index) => row.classList.toggle("deskkeys-current", index === currentRow));
        const row = rows[currentRow];
        const link = row.querySelector("th a, td a");
        if (link) {
            link.focus({ preventScroll: true });
        }
        row.scrollIntoView({ block: "nearest" });
        return true;
    }

    function selectCurrentRow() {
        const row = queueRows()[currentRow];
        const checkbox = row && row.querySelector("input.action-select");
        if (!checkbox) {
            return false;
        }
        checkbox.click();
        return true;
    }

    function isShown(element) {
        return element !== null && element.getClientRects().length > 0;
    }

    function focusActionForm() {
        const field = document.querySelector(
            "form.caseadmin-act-form :is(input:not([type=hidden]), select, textarea)",
        );
        const queueAction = document.querySelector("#changelist-form select[name=action]");
        const target = isShown(field) ? field : isShown(queueAction) ? queueAction : null;
        if (!target) {
            return false;
        }
        target.focus({ preventScroll: true });
        target.scrollIntoView({ block: "center" });
        return true;
    }

    const actions = {
        j: () => press("next") || moveInQueue(1),
        k: () => press("previous") || moveInQueue(-1),
        x: selectCurrentRow,
        a: focusActionForm,
        "?": toggleHelp,
    };

    // In the capture phase, before unfold's own keys (bound on window by
    // Alpine): on these pages "?" opens the desk's list, which includes
    // unfold's keys that apply here.
    window.addEventListener(
        "keydown",
        (event) => {
            if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) {
                return;
            }
            const action = actions[event.key];
            if (action && action()) {
                event.preventDefault();
                event.stopImmediatePropagation();
            }
        },
        true,
    );

    document.addEventListener("click", (event) => {
        if (event.target instanceof Element && event.target.closest("[data-desk-shortcuts-open]")) {
            toggleHelp();
        }
    });
})();
