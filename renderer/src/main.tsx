import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BridgeProvider, defaultBridge } from './api/client.js';
import { App } from './App.js';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BridgeProvider bridge={defaultBridge()}>
      <App />
    </BridgeProvider>
  </StrictMode>,
);
