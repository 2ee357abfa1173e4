"""Staff's second factor for the admin: TOTP (django-otp), with recovery codes.

With ``settings.STAFF_2FA`` on, a staff session reaches the admin only once it
has passed a TOTP code or a recovery code (``request.user.is_verified()``,
django-otp's middleware; ``admin_ext.site`` asks). The flow, each page one URL
of the admin site, outside the role policy (``roles.OPEN_PAGES``):

1. the password login (Django's, rate limited by django-axes) sends the person
   on to ``next``, which the site turns into
2. ``second_factor`` (a TOTP code or a recovery code), or, without a confirmed
   authenticator, ``second_factor_setup``: a QR code and the secret as text,
   confirmed by a first code; then
3. ``second_factor_recovery_codes`` shows ten single-use recovery codes, once,
   and "Continue" goes to ``next``.

A superuser resets someone's devices from their user page; they set up a new
authenticator at their next sign-in. Deleting an account deletes its devices
(their foreign key cascades).
"""
