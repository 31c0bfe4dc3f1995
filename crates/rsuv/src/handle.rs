//! What every handle type offers: activity, references and closing.

/// Adds the methods every handle has (`uv_is_active`, `uv_ref`,
/// `uv_close`, ...) to a handle type with an `h: HandleRef` field.
macro_rules! common_methods {
    ($t:ty) => {
        impl $t {
            /// Whether the handle is started (`uv_is_active`).
            pub fn is_active(&self) -> bool {
                !self.h.is_closing() && self.h.is_active()
            }

            /// Whether the handle keeps the loop alive while active
            /// (`uv_has_ref`); true after creation.
            pub fn has_ref(&self) -> bool {
                !self.h.is_closing() && self.h.has_ref()
            }

            /// Makes the active handle keep the loop alive again (`uv_ref`).
            pub fn ref_(&self) {
                self.h.set_ref(true);
            }

            /// Lets the loop end while this handle is still active
            /// (`uv_unref`).
            pub fn unref(&self) {
                self.h.set_ref(false);
            }

            /// Whether the handle is closing or closed (`uv_is_closing`):
            /// true in the handle's callbacks after a close began.
            pub fn is_closing(&self) -> bool {
                self.h.is_closing()
            }

            /// The loop the handle belongs to.
            pub fn get_loop(&self) -> &$crate::Loop {
                &self.h.lp
            }

            /// Closes the handle (`uv_close`): it stops now, and
            /// `on_close` runs in the loop's close phase. Dropping the
            /// handle closes it the same way, without a callback. A
            /// callback may close its own handle through the view it gets;
            /// closing a closing handle does nothing.
            pub fn close(&self, on_close: impl FnOnce() + 'static) {
                self.h.close(Some(Box::new(on_close)));
            }
        }

        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("active", &self.is_active())
                    .field("closing", &self.is_closing())
                    .finish()
            }
        }
    };
}

pub(crate) use common_methods;
